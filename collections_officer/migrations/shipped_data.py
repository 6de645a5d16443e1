"""The records of the add-on's noupdate data files, as each release shipped them.

Kept outside the release folders (Odoo runs only the scripts of those): the
migrations of each release load it, with the fingerprints of their own release.

An upgrade never rewrites a noupdate record (``<data noupdate="1">``): a company's
own wording of an e-mail or its own follow-up delays must survive. Yet a record
the company never touched should get the corrected version the new release
ships. This module tells the two apart: each shipped version of a record is
kept as a fingerprint of its field values (``shipped_versions.json``, made from
every version of the data files in the add-on's history), a record whose
values are one of those versions was not edited, and only the fields whose
shipped value changed since that version are written again.

Fingerprints are canonical strings, one per field of the XML record:

- ``v:<python literal>`` for booleans, numbers and ``eval`` literals;
- ``h:<sha256>`` for text, selection and HTML values, whitespace squeezed, HTML
  sanitized as the field sanitizes it when it is written;
- ``ref:<module.xmlid>`` for a many2one given by ``ref``;
- ``src:<sha256>`` for values computed when the file loads (``eval`` of an
  expression, ``search``): never compared with the database, only with the same
  field of another version, to know whether it changed.
"""

import ast
import copy
import hashlib
import json
import logging
import os
import re
import subprocess

from lxml import etree
from markupsafe import Markup

from odoo.modules.module import get_manifest
from odoo.tools import file_open
from odoo.tools.convert import nodeattr2bool, str2bool, xml_import
from odoo.tools.mail import html_sanitize

MODULE = "collections_officer"
_logger = logging.getLogger("odoo.addons.collections_officer.migrations")
DATA_ROOTS = ("odoo", "data", "openerp")


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _squeeze(text):
    return re.sub(r"\s+", " ", text or "").strip()


def _squeeze_html(html):
    # Indentation between tags is the file's layout, not the text of the e-mail.
    return re.sub(r">\s+<", "><", _squeeze(html))


def _sanitized(field, html):
    if not field.sanitize:
        return html
    return html_sanitize(
        html,
        silent=True,
        sanitize_tags=field.sanitize_tags,
        sanitize_attributes=field.sanitize_attributes,
        sanitize_style=field.sanitize_style,
        sanitize_form=field.sanitize_form,
        sanitize_conditional_comments=field.sanitize_conditional_comments,
        output_method=field.sanitize_output_method,
        strip_style=field.strip_style,
        strip_classes=field.strip_classes,
    )


def canonical(field, value):
    """The fingerprint of ``value`` for ``field``; None when it cannot be compared."""
    if field.type == "boolean":
        return f"v:{bool(value)}"
    if field.type == "integer":
        return f"v:{int(value or 0)}"
    if field.type in ("float", "monetary"):
        return f"v:{round(float(value or 0.0), 6)!r}"
    if field.type == "html":
        return "h:" + _digest(_squeeze_html(_sanitized(field, value or "")))
    if field.type in ("char", "text", "selection"):
        return "h:" + _digest(_squeeze(value if isinstance(value, str) else ""))
    return None


def _full_xmlid(xmlid):
    return xmlid if "." in xmlid else f"{MODULE}.{xmlid}"


def noupdate_records(root, noupdate=False):
    """``(xmlid, record node)`` of the add-on's records in noupdate blocks of ``root``."""
    noupdate = nodeattr2bool(root, "noupdate", noupdate)
    for node in root:
        if node.tag in DATA_ROOTS:
            yield from noupdate_records(node, noupdate)
        elif node.tag == "record" and noupdate and node.get("id"):
            xmlid = _full_xmlid(node.get("id"))
            if xmlid.startswith(MODULE + "."):
                yield xmlid, node


def shipped_values(model, node):
    """``{field name: fingerprint}`` of a ``<record>`` node of ``model``."""
    values = {}
    for field_node in node.iterchildren("field"):
        name = field_node.get("name")
        field = model._fields.get(name)
        if not field or "@" in name:
            continue
        values[name] = _field_fingerprint(field, field_node)
    return values


def _field_fingerprint(field, node):
    source = "src:" + _digest(_squeeze(etree.tostring(node, encoding="unicode")))
    if node.get("search") or node.get("file"):
        return source
    if ref := node.get("ref"):
        return "ref:" + _full_xmlid(ref) if field.type == "many2one" else source
    if expression := node.get("eval"):
        try:
            value = ast.literal_eval(expression)
        except (ValueError, SyntaxError):
            return source
        return canonical(field, value) or source
    kind = node.get("type", "char")
    if kind == "html":
        raw = "".join(etree.tostring(child, method="html", encoding="unicode") for child in node)
    elif kind == "char":
        raw = node.text or ""
    else:
        return source
    if "%(" in raw or field.type in ("many2one", "one2many", "many2many"):
        return source
    if field.type == "integer":
        raw = int(raw.strip())
    elif field.type in ("float", "monetary"):
        raw = float(raw.strip())
    elif field.type == "boolean":
        raw = str2bool(raw)
    return canonical(field, raw) or source


def database_values(record, names):
    """The fingerprints of ``record``'s fields ``names``, or None when a translation
    of one of them differs from its English text (a company translated it: that is
    an edit too). A many2one is ``id:<id>``: compare it with :func:`resolved`."""
    env = record.env
    english = record.with_context(lang="en_US")
    langs = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
    values = {}
    for name in names:
        field = record._fields.get(name)
        if not field:
            continue
        if field.type == "many2one":
            values[name] = f"id:{english[name].id}"
            continue
        values[name] = canonical(field, english[name])
        if field.translate and any(
            canonical(field, record.with_context(lang=lang)[name]) != values[name] for lang in langs
        ):
            return None
    return values


def resolved(env, version):
    """``version`` with its ``ref:`` fingerprints turned into this database's ids, and
    its ``src:`` ones left out: what :func:`database_values` can be compared with."""
    values = {}
    for name, fingerprint in version.items():
        if fingerprint.startswith("src:"):
            continue
        if fingerprint.startswith("ref:"):
            target = env.ref(fingerprint[4:], raise_if_not_found=False)
            fingerprint = f"id:{target.id if target else -1}"
        values[name] = fingerprint
    return values


def matches(current, version):
    """Whether the record's values are those of a (resolved) shipped ``version``; a
    field the model no longer has is not in ``current`` and not compared."""
    return all(
        current[name] == fingerprint for name, fingerprint in version.items() if name in current
    )


def versions_from_history(env, repository):
    """``{xmlid: [fingerprints of each version, oldest first]}`` of every noupdate record
    the data files of ``repository``'s history shipped: what ``shipped_versions.json``
    holds. Made once per release, in ``odoo-bin shell`` on a database with the add-on::

        shipped = load_script(".../shipped_data.py", "shipped_data")
        json.dump(shipped.versions_from_history(env, "/path/to/repository"), file)
    """

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=repository, capture_output=True, check=True
        ).stdout

    versions = {}
    commits = git("rev-list", "--reverse", "HEAD", "--", f"{MODULE}/*.xml").decode().split()
    for commit in commits:
        for path in git("ls-tree", "-r", "--name-only", commit, MODULE).decode().split():
            if not path.endswith(".xml") or set(path.split("/")) & {"demo", "tests", "static"}:
                continue
            content = git("show", f"{commit}:{path}")
            if b"noupdate" not in content:
                continue
            root = etree.fromstring(content)
            if root.tag not in DATA_ROOTS:
                continue
            for xmlid, node in noupdate_records(root):
                model = env.get(node.get("model"))
                if model is None:
                    continue
                known = versions.setdefault(xmlid, [])
                if (values := shipped_values(model, node)) not in known:
                    known.append(values)
    return dict(sorted(versions.items()))


def load_versions(path):
    """The fingerprints of ``path``, the ``shipped_versions.json`` of a release's migration."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def data_files():
    """The add-on's data files (not its demo), as the installed code lists them."""
    return [path for path in get_manifest(MODULE).get("data", []) if path.endswith(".xml")]


def refresh_unedited_records(env, versions):
    """Write the shipped values that changed since the version each unedited record
    holds; return ``[(record, changed field names)]`` of the edited records that
    the new release would have changed."""
    edited = []
    for path in data_files():
        with file_open(os.path.join(MODULE, path), "rb") as file:
            root = etree.parse(file).getroot()
        to_load = []
        for xmlid, node in noupdate_records(root):
            record = env.ref(xmlid, raise_if_not_found=False)
            model = env.get(node.get("model"))
            if not record or model is None or record._name != model._name:
                continue
            shipped = shipped_values(model, node)
            candidates = [resolved(env, version) for version in versions.get(xmlid, [])]
            target = resolved(env, shipped)
            current = database_values(
                record, set(target).union(*(version.keys() for version in candidates))
            )
            if current is not None and matches(current, target):
                continue
            older = [
                (version, raw)
                for version, raw in zip(candidates, versions.get(xmlid, []), strict=True)
                if current is not None and matches(current, version)
            ]
            if not older:
                changed = [
                    name
                    for name, fingerprint in target.items()
                    if current is None or current.get(name) != fingerprint
                ]
                edited.append((record, changed))
                continue
            # Of the versions it matches, the newest is last: the fewest fields to write.
            _version, raw = older[-1]
            changed = {
                name for name, fingerprint in shipped.items() if raw.get(name) != fingerprint
            }
            if changed:
                to_load.append(_partial_record(node, changed))
        if to_load:
            document = etree.Element("odoo", noupdate="1")
            document.extend(to_load)
            # "init" mode writes records of a noupdate block; only the fields given are written.
            xml_import(
                env, MODULE, {}, "init", noupdate=True, xml_filename=os.path.join(MODULE, path)
            ).parse(document)
    return edited


def _partial_record(node, names):
    partial = etree.Element("record", dict(node.attrib))
    for field_node in node.iterchildren("field"):
        if field_node.get("name") in names:
            partial.append(copy.deepcopy(field_node))
    return partial


def tell_managers(env, edited):
    """A notice to every collections manager for each edited record the release changed.

    In English: a migration runs in no user's language, and the notice is one
    message for all the managers.
    """
    if not edited:
        return
    managers = env.ref("collections_officer.group_collections_manager").all_user_ids.filtered(
        lambda user: user.active and not user.share
    )
    for record, changed in edited:
        labels = (
            ", ".join(record._fields[name]._description_string(env) for name in changed)
            or "translations"
        )
        _logger.info(
            "Kept %s (%s) as the company edited it; this release ships another %s.",
            record.display_name,
            record.get_external_id().get(record.id),
            labels,
        )
        if not managers:
            continue
        env["mail.thread"].message_notify(
            model=record._name,
            res_id=record.id,
            partner_ids=managers.partner_id.ids,
            subject=f"Collections upgrade: {record.display_name} kept as you edited it",
            body=Markup(
                "<p>%s was edited in this database, so the upgrade of Collections Officer "
                "left it as it is. The new release ships another %s: compare them with "
                "yours and copy what you want to keep.</p>"
            )
            % (record.display_name, labels),
        )
