"""Every string a person reads is marked for translation, and Indonesian has all of them.

Three checks, over every app and every template (also those added later):

- templates: text outside `{% translate %}` / `{% blocktranslate %}` (tags, variables,
  whitespace, punctuation, numbers, <script>, <style>, <code> and <pre> aside);
- Python: a bare string where people read it (field and form labels and help, choices,
  admin `description=` and `short_description`, messages, form errors, the errors services
  and the API answer, titles of list filters);
- `locale/id`: a message makemessages would extract that is missing, empty or fuzzy.

A string that is not for people goes in an allow-list below, with the reason.
"""

import ast
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "tests", "migrations", "bench", "fuzz", "e2e", "integration", "locale"}
SKIP_DIRS |= {"node_modules", "media", "staticfiles", "static", "deploy", ".git"}

# Text in templates that reads the same in every language.
TEMPLATE_ALLOWED = {"SKU", "GET /me", "QRIS", "Midtrans", "Snap", "JWT", "ID"}
# CSS classes given in template blocks, and an example address.
TEMPLATE_ALLOWED |= {"colM", "app- model- delete-confirmation", "/auth/magic/…/"}
# A product name, a CSS class string given in a block, and paper widths (millimetres are universal).
TEMPLATE_ALLOWED |= {"Redoc", "app- model- change-form", "58 mm", "80 mm"}

# Python call sites and keywords whose string argument people read.
PEOPLE_KEYWORDS = {
    "verbose_name",
    "verbose_name_plural",
    "help_text",
    "label",
    "description",
    "short_description",
    "empty_label",
    "empty_value_display",
    "violation_error_message",
}
PEOPLE_ASSIGNMENTS = PEOPLE_KEYWORDS | {"title", "site_header", "site_title", "index_title"}
PEOPLE_ASSIGNMENTS |= {"default_detail", "default_error_messages"}
# An exception's or permission's `message`: a class attribute or `self.message = ...` (a local
# `message` may be a note stored for the record, in no reader's language).
CLASS_MESSAGES = {"message"}
# `errors["price"] = ...` (a model's clean()) and `context["error"] = ...` (a page's error).
ERROR_DICTS = {"errors"}
ERROR_KEYS = {"error", "message"}
ERROR_CALLS = {
    "DomainError",
    "NotFound",
    "Conflict",
    "PermissionDenied",
    "MerchantAccessDenied",
    "MerchantRequired",
    "GatewayError",
    "PayloadTooLarge",
    "GalleryGone",
    "IdempotencyKeyReused",
    "InvalidLogin",
    "TooManyRequests",
    "GatewayBusy",
    "SecretUnreadable",
    "ImageRejected",
    "ValidationError",
    "AuthenticationFailed",
    "NotAuthenticated",
    "ParseError",
    "LoginLocked",
    "HttpResponseBadRequest",
    "HttpResponseForbidden",
}
# The API's error shape, error_body(code, message, details): the message people read.
ERROR_BODY_CALLS = {"error_body"}
MESSAGE_FUNCTIONS = {"success", "error", "warning", "info", "debug", "add_message"}
# Calls whose keywords document the API schema, not the product's pages.
SCHEMA_CALLS = ("extend_schema", "OpenApi", "inline_serializer")
MARKERS = {"gettext", "gettext_lazy", "_", "ngettext", "ngettext_lazy", "pgettext"}
MARKERS |= {"pgettext_lazy", "gettext_noop", "format_html", "mark_safe"}


def source_files(pattern: str):
    for path in sorted(ROOT.rglob(pattern)):
        relative = path.relative_to(ROOT)
        hidden = any(part.startswith(".") for part in relative.parts)  # .venv-newest, .git…
        if hidden or set(relative.parts) & SKIP_DIRS or relative.name == "conftest.py":
            continue
        yield path, relative


def template_files():
    for directory in [*settings.TEMPLATES[0]["DIRS"], *ROOT.glob("*/templates")]:
        for path in sorted(Path(directory).rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(ROOT).parts)
            if path.suffix in {".html", ".txt"} and not hidden:
                yield path


# --- templates --------------------------------------------------------------------------------


class _TextCollector(HTMLParser):
    SKIPPED = {"script", "style", "code", "pre"}
    ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping.append(tag)
        for name, value in attrs:
            if name in self.ATTRIBUTES or (name == "value" and ("type", "submit") in attrs):
                self.texts.append(value or "")

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.texts.append(data)


def unmarked_template_text(source: str) -> list[str]:
    """Human text of a template outside translate tags: each template tag or variable becomes
    a blank, the contents of blocktranslate and comment blocks are dropped."""
    kept, depth = [], 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split(" ", 1)[0]
            if name in {"blocktranslate", "blocktrans", "comment"}:
                depth += 1
            elif name in {"endblocktranslate", "endblocktrans", "endcomment"}:
                depth -= 1
            kept.append(" ")
        elif token.token_type == TokenType.TEXT and depth == 0:
            kept.append(token.contents)
        elif depth == 0:
            kept.append(" ")
    collector = _TextCollector()
    collector.feed("".join(kept))
    collector.close()
    found = []
    for text in collector.texts:
        text = " ".join(text.split())
        if re.search(r"[A-Za-z]{2,}", text) and text not in TEMPLATE_ALLOWED:
            found.append(text)
    return found


def test_unmarked_template_text_is_found():
    found = unmarked_template_text(
        '{% load i18n %}<p title="Tip">Hello {{ name }}</p><script>var a = "x y";</script>'
        "{% translate 'Fine' %}{% blocktranslate %}Also fine{% endblocktranslate %} · 12"
    )
    assert found == ["Tip", "Hello"]


def test_every_template_marks_its_text():
    problems = {
        str(path.relative_to(ROOT)): texts
        for path in template_files()
        if (texts := unmarked_template_text(path.read_text()))
    }
    assert not problems, f"Wrap these in {{% translate %}} or {{% blocktranslate %}}: {problems}"


# --- Python -----------------------------------------------------------------------------------


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _is_text(node) -> bool:
    """A bare string with words: a literal, an f-string, `"..." % x` or `"...".format(x)`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2,}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and re.search(r"[A-Za-z]{2,}", part.value)
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
        return _is_text(node.func.value)
    return False


def unmarked_python_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of each bare string given where people read it."""
    found: list[tuple[int, str]] = []

    def check(node):
        if isinstance(node, ast.Dict):
            for value in node.values:
                check(value)
        elif isinstance(node, ast.List | ast.Tuple):
            for value in node.elts:
                check(value)
        elif isinstance(node, ast.IfExp):  # "a" if x else "b": both are read
            check(node.body)
            check(node.orelse)
        elif _is_text(node):
            found.append((node.lineno, ast.unparse(node)[:80]))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            bases = {getattr(b, "attr", getattr(b, "id", "")) for b in node.bases}
            if bases & {"TextChoices", "IntegerChoices", "Choices"}:
                for stmt in node.body:
                    value = getattr(stmt, "value", None)
                    if (
                        isinstance(stmt, ast.Assign)
                        and isinstance(value, ast.Tuple)
                        and len(value.elts) == 2
                    ):
                        check(value.elts[1])
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(
                    getattr(target, "id", None) in CLASS_MESSAGES for target in stmt.targets
                ):
                    check(stmt.value)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                name = getattr(target, "id", getattr(target, "attr", None))
                if name in PEOPLE_ASSIGNMENTS:
                    check(node.value)
                if isinstance(target, ast.Attribute) and target.attr in CLASS_MESSAGES:
                    check(node.value)
                if isinstance(target, ast.Subscript):
                    owner = getattr(target.value, "id", getattr(target.value, "attr", ""))
                    key = target.slice.value if isinstance(target.slice, ast.Constant) else None
                    if owner in ERROR_DICTS or key in ERROR_KEYS:
                        check(node.value)
                if name == "fieldsets" and isinstance(node.value, ast.Tuple | ast.List):
                    for fieldset in node.value.elts:  # (title, {"fields": ...})
                        if isinstance(fieldset, ast.Tuple) and fieldset.elts:
                            check(fieldset.elts[0])
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if not name.startswith(SCHEMA_CALLS):
                for keyword in node.keywords:
                    if keyword.arg in PEOPLE_KEYWORDS:
                        check(keyword.value)
                    if keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                        for choice in keyword.value.elts:
                            if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                                check(choice.elts[1])
            if name in ERROR_CALLS:
                for argument in node.args[:1]:
                    check(argument)
                for keyword in node.keywords:
                    if keyword.arg in {"message", "detail", "details"}:
                        check(keyword.value)
            if name in ERROR_BODY_CALLS:
                for argument in node.args[1:3]:
                    check(argument)
                for keyword in node.keywords:
                    if keyword.arg in {"message", "details"}:
                        check(keyword.value)
            owner = getattr(node.func, "value", None)
            owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
            if (name in MESSAGE_FUNCTIONS and owner_name == "messages") or name in {
                "message_user",
                "add_error",
            }:
                for argument in node.args[1:2]:
                    check(argument)
    return found


def test_unmarked_python_strings_are_found():
    source = (
        "class A:\n"
        "    class Status(models.TextChoices):\n"
        '        NEW = "new", "New"\n'
        '        OLD = "old", gettext_lazy("Old")\n'
        '    name = models.CharField(help_text="Shown", verbose_name=gettext_lazy("name"))\n'
        "def f(request, n):\n"
        '    messages.success(request, f"{n} saved")\n'
        '    raise Conflict(gettext("Fine"))\n'
        '    raise ValueError("not for people")\n'
    )
    assert [line for line, _text in unmarked_python_strings(source)] == [3, 5, 7]


def test_unmarked_error_messages_are_found():
    """The errors people read wherever they are built: the API's error body, permissions' and
    exceptions' messages, field errors in `details`, constraints, a model's clean(), a page's
    error, and messages chosen with a conditional or built with % or format()."""
    source = (
        "class IsOwner(BasePermission):\n"  # 1
        '    message = "Owners only."\n'
        "    def has_permission(self, request, view):\n"
        '        self.message = f"Not at {view.shop}."\n'
        "class Slug(serializers.SlugRelatedField):\n"  # 5
        '    default_error_messages = {"invalid": "Give a slug."}\n'
        "class Meta:\n"
        '    constraints = [UniqueConstraint(name="x", violation_error_message="Taken.")]\n'
        "def clean(self):\n"
        '    errors["quota"] = "%s already sold." % self.sold\n'  # 10
        '    context["error"] = "This link is used."\n'
        '    raise DomainError(gettext("Fine"), details={"lines": ["Empty."]})\n'
        '    raise DomainError(gettext("Fine"), details={"amount": f"at most {due}"})\n'
        '    raise InvalidLogin(f"{left} tries left." if left else gettext("Ask again."))\n'
        '    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)\n'  # 15
        '    error_body("invalid", message, {"limit": "{} bytes".format(limit)})\n'
        '    message = f"Gateway status {status} changes nothing."\n'  # a note for the record
        '    raise DomainError(gettext("Fine"), details={"lines": [gettext("Empty.")]})\n'
        '    raise DomainError(gettext("Fine"), details={"ids": sorted(ids)})\n'
    )
    found = sorted(line for line, _text in unmarked_python_strings(source))
    assert found == [2, 4, 6, 8, 10, 11, 12, 13, 14, 15, 16]


def test_every_python_string_for_people_is_marked():
    problems = [
        f"{relative}:{line}: {text}"
        for path, relative in source_files("*.py")
        for line, text in unmarked_python_strings(path.read_text())
    ]
    assert not problems, "Mark these with gettext / gettext_lazy:\n" + "\n".join(problems)


# --- the Indonesian catalogue -----------------------------------------------------------------

CATALOGUE = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (list), fuzzy. Obsolete entries
    (`#~`) are left out. Enough of the format for the files makemessages writes."""
    entries, entry, field = [], None, None

    def unquote(text: str) -> str:
        return ast.literal_eval(text.strip())

    for line in [*path.read_text().splitlines(), ""]:
        if line.startswith("#~"):
            continue
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgid": "", "msgid_plural": None, "msgstr": [], "fuzzy": False, "ctx": ""}
        if line.startswith("#,"):
            entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field, entry["ctx"] = "ctx", unquote(line[8:])
        elif line.startswith("msgid_plural "):
            field, entry["msgid_plural"] = "msgid_plural", unquote(line[13:])
        elif line.startswith("msgid "):
            field, entry["msgid"] = "msgid", unquote(line[6:])
        elif line.startswith("msgstr"):
            field = "msgstr"
            entry["msgstr"].append(unquote(line.split(" ", 1)[1]))
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += unquote(line)
            else:
                entry[field] += unquote(line)
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


def test_the_indonesian_catalogue_has_every_message_translated():
    entries = read_po(CATALOGUE)
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if e["fuzzy"]]
    assert not untranslated, f"Translate into Indonesian: {untranslated[:20]}"
    assert not fuzzy, f"Check these fuzzy translations and drop the flag: {fuzzy[:20]}"


def compiled_catalogue(path: Path) -> dict:
    """A .mo file's translations: {(context, msgid): msgstr} and {(context, msgid, n): msgstr}
    for each plural form."""
    import gettext

    with path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    compiled = {}
    for key, text in catalog.items():
        msgid, form = key if isinstance(key, tuple) else (key, None)
        if not msgid:
            continue  # the header
        context, msgid = msgid.split("\x04", 1) if "\x04" in msgid else ("", msgid)
        compiled[(context, msgid) if form is None else (context, msgid, form)] = text
    return compiled


def po_translations(entries: list[dict]) -> dict:
    """The same shape from the entries of a .po file."""
    translations = {}
    for e in entries:
        if e["msgid_plural"] is None:
            translations[(e["ctx"], e["msgid"])] = e["msgstr"][0]
        else:
            for form, text in enumerate(e["msgstr"]):
                translations[(e["ctx"], e["msgid"], form)] = text
    return translations


def test_the_compiled_catalogue_is_the_catalogue():
    """django.mo is compiled from django.po as it is, translations and all (a fresh machine
    may lack gettext, so the .mo is committed: a stale one shows old or English text)."""
    compiled_path = CATALOGUE.with_suffix(".mo")
    assert compiled_path.exists(), "Run manage.py compilemessages and commit django.mo"
    compiled = compiled_catalogue(compiled_path)
    wanted = po_translations([e for e in read_po(CATALOGUE) if not e["fuzzy"]])
    stale = {key: text for key, text in wanted.items() if compiled.get(key) != text}
    assert not stale, f"Run compilemessages; django.mo differs on: {sorted(stale)[:10]}"


def test_a_stale_compiled_catalogue_is_caught(tmp_path):
    """The check above compares the text, not just the messages: a .mo whose translation is
    older than the .po's fails it."""
    if shutil.which("msgfmt") is None:
        pytest.skip("needs gettext (msgfmt)")
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Order"\nmsgstr "Pesanan lama"\n'
    )
    subprocess.run(["msgfmt", "-o", str(tmp_path / "django.mo"), str(po)], check=True)  # noqa: S603, S607
    po.write_text(po.read_text().replace("Pesanan lama", "Pesanan"))
    compiled = compiled_catalogue(tmp_path / "django.mo")
    wanted = po_translations(read_po(po))
    assert compiled.keys() == wanted.keys()  # the keys alone would pass
    assert compiled[("", "Order")] != wanted[("", "Order")]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (xgettext)")
def test_the_indonesian_catalogue_has_every_message_the_code_marks(tmp_path):
    """What makemessages extracts (Python and templates, which Django's `templatize` turns into
    Python as makemessages does) is all in locale/id."""
    sources = [str(path) for path, _relative in source_files("*.py")]
    for number, path in enumerate(template_files()):
        converted = tmp_path / f"template_{number}.py"
        converted.write_text(templatize(path.read_text(), origin=str(path)))
        sources.append(str(converted))
    fresh = tmp_path / "django.pot"
    command = [
        "xgettext",
        "--language=Python",
        "--from-code=UTF-8",
        "--keyword=gettext_noop",
        "--keyword=gettext_lazy",
        "--keyword=ngettext_lazy:1,2",
        "--keyword=pgettext:1c,2",
        "--keyword=pgettext_lazy:1c,2",
        "--keyword=npgettext:1c,2,3",
        "--keyword=npgettext_lazy:1c,2,3",
        "--output",
        str(fresh),
        *sources,
    ]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed arguments
    known = {(e["ctx"], e["msgid"]) for e in read_po(CATALOGUE)}
    missing = [e["msgid"] for e in read_po(fresh) if (e["ctx"], e["msgid"]) not in known]
    assert not missing, (
        f"Run `manage.py makemessages -l id` and translate these into Indonesian: {missing[:20]}"
    )
