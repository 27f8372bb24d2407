"""README.md and docs/: links that resolve, a short README, pages a newcomer can find their way in.

Anchors are computed as GitHub renders headings, since that is where people read these pages.
"""

import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
README = BASE_DIR / "README.md"
DOCS_DIR = BASE_DIR / "docs"
DOCS = sorted(DOCS_DIR.glob("*.md"))
PAGES = [README, *DOCS]
README_MAX_LINES = 250

LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"`[^`]*`")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
BENCH_START = "<!-- bench:start -->"
BENCH_END = "<!-- bench:end -->"
SOAK_HEADING = "## Soak runs"


def prose_lines(text: str):
    """(line number, line) outside fenced code blocks, where Markdown is Markdown."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def github_anchor(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def headings(text: str) -> list[tuple[int, str]]:
    return [
        (len(match.group(1)), match.group(2))
        for _, line in prose_lines(text)
        if (match := re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line))
    ]


def anchors(text: str) -> set[str]:
    found, seen = set(), {}
    for _, title in headings(text):
        slug = github_anchor(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    found.update(HTML_ANCHOR.findall(text))
    return found


def links(text: str) -> list[tuple[int, str]]:
    return [
        (number, target)
        for number, line in prose_lines(text)
        for target in LINK.findall(CODE_SPAN.sub("", line))
    ]


def broken_links(page: Path) -> list[str]:
    problems = []
    for number, target in links(page.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.name}:{number} → {target}"
        if not resolved.exists():
            problems.append(f"{where}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
            problems.append(f"{where}: no heading with that anchor")
    return problems


def test_the_link_checker_sees_what_github_sees(tmp_path):
    page = tmp_path / "page.md"
    other = "# Other\n\n## Dashboard (`/admin/`)\n\n## Try it\n## Try it\n"
    (tmp_path / "other.md").write_text(other)
    page.write_text(
        "# Page\n\n## The poll's short way\n\n"
        "[ok](#the-polls-short-way) [ok](other.md#dashboard-admin) [ok](other.md#try-it-1)\n"
        "[gone](missing.md) [wrong](other.md#dashboard) [`code`](#nowhere) <https://example.com>\n"
        "`[not a link](nowhere.md)`\n\n```\n[in a fence](nowhere.md)\n```\n"
    )
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert "missing.md: no such file" in problems[0]
    assert "other.md#dashboard: no heading" in problems[1]
    assert "#nowhere: no heading" in problems[2]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_relative_links_and_anchors_resolve(page):
    assert broken_links(page) == []


def test_readme_stays_short():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines; keep it to {README_MAX_LINES} for newcomers and move "
        "reference material to a page of docs/."
    )


def test_every_docs_page_is_on_the_readme_map():
    targets = [target.partition("#")[0] for _, target in links(README.read_text())]
    linked = {(README.parent / target).resolve() for target in targets}
    missing = [page.name for page in DOCS if page.resolve() not in linked]
    assert missing == [], f"link these from README.md's Documentation map: {missing}"


@pytest.mark.parametrize("page", DOCS, ids=lambda page: page.name)
def test_docs_page_starts_with_a_title_and_a_one_line_summary(page):
    lines = page.read_text().splitlines()
    assert lines[0].startswith("# "), "the first line is the page's title"
    assert lines[1] == ""
    summary = lines[2]
    assert summary, "a one-line summary follows the title"
    assert not summary.startswith(("#", "|", "-", "*", "<", "`")), "the summary is a sentence"
    assert lines[3] == "", "the summary is one line"
    assert len(summary) <= 100, "the summary is one line"


def generated_lines(text: str) -> set[int]:
    """Lines `make bench` rewrites (between its markers): their headings change each run."""
    inside, numbers = False, set()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == BENCH_START:
            inside = True
        if inside:
            numbers.add(number)
        if line.strip() == BENCH_END:
            inside = False
    return numbers


@pytest.mark.parametrize("page", DOCS, ids=lambda page: page.name)
def test_contents_list_reaches_every_section(page):
    text = page.read_text()
    contents = next((line for line in text.split("\n\n") if line.startswith("**Contents:**")), None)
    if contents is None:
        assert len(text.splitlines()) <= 60, "a long page starts with a **Contents:** list"
        return
    listed = {target.lstrip("#") for target in LINK.findall(contents) if target.startswith("#")}
    skip = generated_lines(text)
    sections = [
        github_anchor(line[3:])
        for number, line in prose_lines(text)
        if line.startswith("## ") and number not in skip
    ]
    assert [anchor for anchor in sections if anchor not in listed] == []


def table_blocks(text: str):
    block = []
    for number, line in prose_lines(text):
        if line.startswith("|"):
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def cells(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row)) - 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_tables_are_intact(page):
    for block in table_blocks(page.read_text()):
        first_number, header = block[0]
        assert len(block) >= 2, f"{page.name}:{first_number}: a table needs a delimiter row"
        assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", block[1][1]), f"{page.name}:{block[1][0]}"
        for number, row in block:
            assert cells(row) == cells(header), f"{page.name}:{number}: {cells(row)} cells"


def test_benchmarks_page_keeps_the_places_make_bench_and_make_soak_write(tmp_path, monkeypatch):
    from bench import common

    page = DOCS_DIR / "benchmarks.md"
    text = page.read_text()
    assert text.count(BENCH_START) == 1
    assert text.count(BENCH_END) == 1
    head, rest = text.split(BENCH_START)
    _, tail = rest.split(BENCH_END)
    # Soak runs are appended at the end of the file, so their heading is the last section.
    assert SOAK_HEADING in tail
    after_soak = tail.split(SOAK_HEADING, 1)[1].splitlines()
    assert [line for line in after_soak if line.startswith("## ")] == []

    copy = tmp_path / "benchmarks.md"
    copy.write_text(text)
    monkeypatch.setattr(common, "DOCS", copy)
    common.write_bench_section("## Latest bench run: now\n\nnew figures")
    common.append_soak_section("### Soak now\n\nnew soak")
    written = copy.read_text()
    assert written.startswith(head + BENCH_START + "\n## Latest bench run: now\n\nnew figures\n")
    assert written.endswith(tail.rstrip() + "\n\n### Soak now\n\nnew soak\n")


# Django's own limits that the project leaves at Django's default (not read from the
# environment, so not in .env.example); the README names them as Django's.
DJANGO_DEFAULT_SETTINGS = {
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS",
    "DATA_UPLOAD_MAX_NUMBER_FILES",
}
SETTING_NAME = re.compile(r"`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`")


def readme_section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def unknown_settings(text: str) -> list[str]:
    """Settings named in `text` (as `NAME` or `NAME=value`) that .env.example does not list."""
    from config.tests.test_env_example import env_example

    listed = set(env_example()) | DJANGO_DEFAULT_SETTINGS
    return sorted({name for name in SETTING_NAME.findall(text) if name not in listed})


def test_readme_security_section_names_only_settings_that_exist():
    section = readme_section("Security")
    named = set(SETTING_NAME.findall(section))
    assert {"STAFF_LOGIN_MAX_FAILURES", "NUM_PROXIES", "FIELD_ENCRYPTION_KEYS"} <= named
    assert unknown_settings(section) == []


def test_a_misspelt_setting_in_the_readme_is_caught():
    assert unknown_settings("`NUM_PROXY` and `NUM_PROXIES`, `SECURE_SSL=true`") == ["NUM_PROXY"]


def test_the_django_defaults_the_readme_names_are_djangos_own_and_not_in_env_example():
    from django.conf import global_settings

    from config.tests.test_env_example import env_example

    assert all(hasattr(global_settings, name) for name in DJANGO_DEFAULT_SETTINGS)
    assert DJANGO_DEFAULT_SETTINGS.isdisjoint(env_example())
