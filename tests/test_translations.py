"""The translation template is up to date: every message the code shows can be translated."""

import ast
import re


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
