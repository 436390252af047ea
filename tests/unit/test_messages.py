"""The message catalog (functions/messages): every code in English and Turkish with the same
placeholders, every code used and every code used present, no message written inline, no
case mapping of user text, and the language negotiation."""

from __future__ import annotations

import ast
import copy
import json
import pickle
import re
import string
from pathlib import Path

import pytest

import errors
from errors import DomainError, InvalidInput
from messages import LANGUAGES, Msg, chain, in_every_language, placeholders, render, render_tree
from messages.catalog import CATALOG
from messages.negotiate import language_from_accept_language, language_from_locale, negotiate

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
CATALOG_FILE = FUNCTIONS / "messages" / "catalog.py"


def sources() -> dict[Path, ast.Module]:
    skip = {"venv", "__pycache__"}
    return {path: ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(FUNCTIONS.rglob("*.py"))
            if not skip & set(path.relative_to(FUNCTIONS).parts)}


SOURCES = sources()


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(FUNCTIONS)}:{getattr(node, 'lineno', '?')}"


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


# -- the catalog itself ------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_code_has_every_language_with_the_same_placeholders(code: str) -> None:
    entry = CATALOG[code]
    assert set(entry) == set(LANGUAGES), code
    for language in LANGUAGES:
        assert entry[language].strip(), (code, language)
        # Parses: an unpaired brace (a JSON example not doubled) raises ValueError here.
        list(string.Formatter().parse(entry[language]))
    assert placeholders(entry["en"]) == placeholders(entry["tr"]), code
    assert re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", code), code


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_code_renders_in_both_languages(code: str) -> None:
    values = {name: f"<{name}>" for name in placeholders(CATALOG[code]["en"])}
    message = Msg(code, **values)
    for language in LANGUAGES:
        text = render(message, language)
        for value in values.values():
            assert value in text, (code, language)


def test_sentences_are_translated() -> None:
    """A Turkish text that equals the English one is a translation forgotten (short pieces
    such as "null" or "{first}; {second}" may be the same)."""
    same = [code for code, entry in CATALOG.items()
            if entry["en"] == entry["tr"] and len(re.findall(r"[A-Za-z]{3,}",
                                                             _without_fields(entry["en"]))) > 2]
    assert same == []


def _without_fields(template: str) -> str:
    return "".join(literal for literal, *_ in string.Formatter().parse(template))


# -- codes against the source --------------------------------------------------------------------

def string_constants() -> set[str]:
    found: set[str] = set()
    for path, tree in SOURCES.items():
        if path == CATALOG_FILE:
            continue
        found |= {node.value for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return found


def test_no_code_is_unused() -> None:
    unused = sorted(set(CATALOG) - string_constants())
    assert unused == [], "codes in messages/catalog.py that nothing in functions/ uses"


def test_every_code_used_is_in_the_catalog() -> None:
    problems = []
    for path, tree in SOURCES.items():
        if path.parent == CATALOG_FILE.parent:  # the API itself passes codes through
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and called_name(node) in ("Msg", "chain")):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) \
                    or not isinstance(node.args[0].value, str):
                problems.append(f"{where(path, node)}: the code is not a literal")
            elif node.args[0].value not in CATALOG:
                problems.append(f"{where(path, node)}: {node.args[0].value!r} is not in the "
                                "catalog")
    assert problems == []


def domain_error_names() -> set[str]:
    """DomainError and every subclass of it, in errors.py and wherever one is declared."""
    names = {name for name, value in vars(errors).items()
             if isinstance(value, type) and issubclass(value, DomainError)}
    classes = [node for tree in SOURCES.values() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", None)
                     for b in node.bases}
            if node.name not in names and bases & names:
                names.add(node.name)
                grew = True
    return names


def test_no_domain_error_is_raised_with_inline_text() -> None:
    """Every message a person reads comes from the catalog: a DomainError gets a Msg, never
    a string literal, an f-string, a concatenation or str.format."""
    names = domain_error_names()
    assert {"InvalidInput", "PayloadTooLarge", "Unavailable", "PayloadTooLong"} <= names
    inline = []
    for path, tree in SOURCES.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and called_name(node) in names and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp) or (
                    isinstance(first, ast.Call) and called_name(first) == "format"):
                inline.append(where(path, node))
    assert inline == [], "write these messages in messages/catalog.py and raise a Msg"


# -- case mapping -------------------------------------------------------------------------------

# (file, text on the line, why it is safe). Python's case mapping is wrong for Turkish
# ("i".upper() is "I", "İ".lower() is two code points): never on text a person typed.
CASE_MAPPING_ALLOWED = [
    ("moderation/strategy.py", "value.strip().lower()",
     "a strategy keyword (deny/allow/warn/local) compared with ASCII names; never stored"),
    ("moderation/uploaded_images.py", "(obj.content_type or \"\").lower()",
     "a MIME type: ASCII and case-insensitive by RFC 2045"),
    ("moderation/uploaded_images.py", "obj.name.lower().endswith(",
     "only compared with ASCII file extensions; the name is never changed or stored"),
    ("qr/ids.py", "b32encode(digest).decode(\"ascii\").lower()",
     "a base32 digest: ASCII"),
    ("qr/sheet_request.py", "value.lower() in (\"true\"",
     "a flag keyword (true/yes/1 ...) compared with ASCII words"),
    ("qr/parts_import.py", "base[dot:].lower()",
     "a file name's extension, compared with .xlsx/.csv"),
    ("qr/inventory_sheet.py", "text.replace(\"ı\", \"i\").casefold()",
     "a header cell folded (dotted and dotless i first) only to compare it with the known "
     "column names in English and Turkish; never stored"),
    ("qr/service.py", "raw.strip().lower()",
     "a flag keyword (true/false/1/0) compared with ASCII words"),
    ("infra/xlsx_stream.py", "cleaned.casefold() == \"history\"",
     "a sheet title compared with Excel's reserved name History; never changed or stored"),
    ("roles/management.py", "value.strip().lower() not in ROLES",
     "a role keyword (staff/admin) compared with ASCII names"),
    ("roles/management.py", "return value.strip().lower()",
     "the role keyword just matched against ROLES: staff or admin"),
    ("infra/auth.py", "scheme.lower() != \"bearer\"",
     "the HTTP auth scheme: ASCII, case-insensitive by RFC 9110"),
    ("messages/negotiate.py", "primary.lower()",
     "a language tag, ASCII by its pattern; case-insensitive by BCP 47"),
]
_CASE_METHODS = {"upper", "lower", "casefold", "capitalize", "title", "swapcase"}


def test_no_case_mapping_outside_the_allow_list() -> None:
    used: set[int] = set()
    unexplained = []
    for path, tree in SOURCES.items():
        name = path.relative_to(FUNCTIONS).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _CASE_METHODS):
                continue
            line = lines[node.lineno - 1]
            matches = [i for i, (file, text, _) in enumerate(CASE_MAPPING_ALLOWED)
                       if file == name and text in line]
            if matches:
                used.update(matches)
            else:
                unexplained.append(f"{name}:{node.lineno}: {line.strip()}")
    assert unexplained == [], "case mapping of text that may be a person's (see the list)"
    stale = [CASE_MAPPING_ALLOWED[i][:2] for i in range(len(CASE_MAPPING_ALLOWED))
             if i not in used]
    assert stale == [], "allow-list entries that match nothing any more"
    assert all(reason for *_, reason in CASE_MAPPING_ALLOWED)


# -- Msg, render, errors ------------------------------------------------------------------------

def test_a_msg_is_its_english_text_and_renders_in_turkish() -> None:
    message = Msg("qr.part_code.too_long_got", max_chars=64, length=70)
    assert message == "part_code may be at most 64 characters, got 70"
    assert render(message, "en") == message
    assert render(message, "tr") == "part_code en fazla 64 karakter olabilir; girilen: 70 karakter"
    assert json.loads(json.dumps({"m": message})) == {"m": str(message)}
    assert type(render(message, "tr")) is str and type(render(message, "en")) is str
    assert render("plain text", "tr") == "plain text"
    for same in (copy.deepcopy(message), pickle.loads(pickle.dumps(message))):
        assert (same.code, same.params, render(same, "tr")) == (
            message.code, message.params, render(message, "tr"))


def test_values_are_inserted_as_given_never_case_mapped() -> None:
    message = Msg("qr.select.no_codes_for_part", code=repr("ıİiI-çivi"))
    assert "'ıİiI-çivi'" in message and "'ıİiI-çivi'" in render(message, "tr")


def test_a_nested_msg_is_rendered_in_the_same_language() -> None:
    message = Msg("qr.part_code.bad_character", code="'A B'",
                  allowed=Msg("qr.part_code.allowed_chars"), character=Msg("char.space"))
    assert message == ("part_code 'A B' may only contain letters and digits (of any script), "
                       "'.', '_' and '-'; a space is not allowed")
    assert render(message, "tr") == ("part_code 'A B' yalnızca şunları içerebilir: harf ve "
                                     "rakam (her alfabeden), '.', '_' ve '-'; bir boşluk "
                                     "kullanılamaz")


def test_chain_keeps_each_languages_words() -> None:
    either = chain("common.or", ["GET", "HEAD", "POST"])
    assert either == "GET or HEAD or POST"
    assert render(either, "tr") == "GET veya HEAD veya POST"
    assert chain("common.or", ["GET"]) == "GET" and render(chain("common.or", ["GET"]),
                                                           "tr") == "GET"


def test_render_tree_and_in_every_language() -> None:
    tree = {"a": [Msg("qr.upload.no_rows"), ("x", Msg("json.list"))], "n": 3, "s": "text"}
    assert render_tree(tree, "en") is tree
    assert render_tree(tree, "tr") == {"a": ["Parça listesinde hiç satır yok",
                                             ("x", "bir liste")], "n": 3, "s": "text"}
    assert in_every_language(Msg("moderation.status.approved")) == {
        "en": "The image passed moderation.", "tr": "Görsel moderasyondan geçti."}


def test_a_domain_error_keeps_the_english_and_renders_another_language() -> None:
    err = InvalidInput(Msg("qr.upload.no_rows"),
                       details={"errors": [{"row": 2, "reason": Msg("qr.part_code.required")}]})
    assert (err.message, str(err), err.code) == (
        "The parts list has no rows", "The parts list has no rows", "qr.upload.no_rows")
    assert err.details == {"errors": [{"row": 2, "reason": "part_code is required"}]}
    assert err.message_in("tr") == "Parça listesinde hiç satır yok"
    assert err.details_in("tr") == {"errors": [{"row": 2, "reason": "part_code zorunludur"}]}
    plain = InvalidInput("typed inline")  # type: ignore[arg-type]  # still shown as it is
    assert (plain.message, plain.message_in("tr"), plain.code) == (
        "typed inline", "typed inline", "common.verbatim")


def test_an_unknown_code_or_a_missing_value_still_gives_a_text() -> None:
    assert Msg("no.such.code") == "no.such.code"
    assert Msg("qr.part_code.too_long") == "part_code may be at most {max_chars} characters"


# -- negotiation --------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("tr", "tr"), ("tr-TR", "tr"), ("tr-CY", "tr"), ("TR-tr", "tr"),
    ("tr-TR,tr;q=0.9,en;q=0.8", "tr"), ("en-US,en;q=0.9,tr;q=0.8", "en"),
    ("en;q=0.5, tr;q=0.8", "tr"), ("de-DE, tr;q=0.5", "tr"), ("de-DE, fr;q=0.9", "en"),
    ("tr;q=0, en", "en"), ("tr;q=0", "en"), ("*", "en"), ("fr, *;q=0.5, tr;q=0.4", "en"),
    ("tr;q=1.5, en;q=0.1", "en"), ("tr;q=abc", "en"), ("tr ; q=0.7 , en;q=0.6", "tr"),
    ("tr, en", "tr"), ("en, tr", "en"), ("ıt, tr", "tr"), ("tr-TR;level=1;q=0.9", "tr"),
    ("x" * 5000 + ",tr", "en"), (",,,;;;=", "en"),
])
def test_accept_language(header: str | None, language: str) -> None:
    assert language_from_accept_language(header) == language


@pytest.mark.parametrize(("locale", "language"), [
    ("tr", "tr"), ("tr-TR", "tr"), ("TR", "tr"), ("tr_TR", "tr"), ("en-US", "en"),
    ("en", "en"), (" tr ", "tr"), ("de", None), ("", None), (None, None), (5, None),
    ("türkçe", None), ("tr-", None), ("İtr", None), ("x" * 100, None), (["tr"], None),
])
def test_locale_field(locale: object, language: str | None) -> None:
    assert language_from_locale(locale) == language


def test_the_locale_field_overrides_the_header_and_anything_else_falls_back() -> None:
    assert negotiate("en-US", "tr-TR") == "tr"
    assert negotiate("tr-TR", "en") == "en"
    assert negotiate("tr-TR", "de-DE") == "tr"
    assert negotiate(None, None) == "en"
