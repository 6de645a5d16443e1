"""The translation template is up to date: every message the code shows can be translated."""

import ast
import re

from babel.messages.pofile import read_po


def pot_msgids(path):
    ids, current = set(), None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[len("msgid ") :])]
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        else:
            if current is not None:
                ids.add("".join(current))
            current = None
    return ids


def code_messages(addon):
    """Literal messages passed to ``env._(...)`` in the add-on's Python code."""
    for path in sorted(addon.rglob("*.py")):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield path.relative_to(addon), node.args[0].value


def test_every_message_is_in_the_translation_template(project_dir):
    addon = project_dir / "collections_officer"
    msgids = pot_msgids(addon / "i18n" / "collections_officer.pot")
    missing = sorted(
        {f"{path}: {text!r}" for path, text in code_messages(addon) if text not in msgids}
    )
    assert not missing, "i18n/collections_officer.pot is out of date:\n" + "\n".join(missing)


def test_shipped_templates_are_translatable(project_dir):
    msgids = pot_msgids(project_dir / "collections_officer" / "i18n" / "collections_officer.pot")
    for text in ("Friendly Reminder", "Final Notice before Legal Action", "Standard Follow-up"):
        assert text in msgids
    assert any(re.search(r"statement of account is attached", msgid) for msgid in msgids)


LANGUAGES = ("fr", "de", "es", "nl")
PLACEHOLDER = re.compile(r"%\([a-zA-Z_]\w*\)[sdfr]|%[sdfr]|%%|\{\{.*?\}\}|\{[a-zA-Z_]\w*\}")
MARKUP_ATTRIBUTE = re.compile(
    r"""\b(?:t-[\w-]+|data-[\w-]+|href|src|class|style)=("[^"]*"|'[^']*')"""
)
TAG = re.compile(r"</?([a-zA-Z][\w:-]*)")


def what_must_be_kept(text):
    """What a translation may move but never change: placeholders, QWeb and tags."""
    return (
        sorted(PLACEHOLDER.findall(text)),
        sorted(m.group(0) for m in MARKUP_ATTRIBUTE.finditer(text)),
        sorted(TAG.findall(text)),
    )


def read_catalog(path):
    with path.open("rb") as f:
        return read_po(f)


def test_each_language_translates_every_message(project_dir):
    i18n = project_dir / "collections_officer" / "i18n"
    template = read_catalog(i18n / "collections_officer.pot")
    for lang in LANGUAGES:
        catalog = read_catalog(i18n / f"{lang}.po")
        missing, broken = [], []
        for message in template:
            if not message.id:
                continue
            translated = catalog.get(message.id)
            if translated is None or not translated.string:
                missing.append(message.id)
            elif what_must_be_kept(message.id) != what_must_be_kept(translated.string):
                broken.append(message.id)
        assert not missing, f"{lang}.po misses {len(missing)} messages, e.g. {missing[:3]}"
        assert not broken, f"{lang}.po changes placeholders or markup of {broken[:5]}"
        assert catalog.locale and str(catalog.locale).startswith(lang)
