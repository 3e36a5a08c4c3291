"""One escaping function per kind of output, for text that comes from users.

Spec names, layer names, sheet cells, student names and file names are written by
people cnncalc does not trust (a pull request, a student's sheet). Each output kind
has its own dangers: escape sequences in a terminal, formulas in a spreadsheet, table
syntax in Markdown, characters XML forbids, workflow commands in GitHub's log. Every
renderer passes user text through the function for its kind, once, on the way out.
"""

from __future__ import annotations

import html
import re

#: C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what a reader sees
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """Text for a terminal, one line: every control character made visible (ESC as `\\x1b`).

    Nothing a name holds can move the cursor, colour the output, open a hyperlink or
    start a new line, so a sheet cannot print a fake verdict; and text that would start
    a line with `::` has it encoded, so a CI log never runs it as a workflow command.

    >>> terminal("\\x1b[32mAll right\\x1b[0m")
    '\\\\x1b[32mAll right\\\\x1b[0m'
    >>> terminal("net[v2]")
    'net[v2]'
    """
    line = text if text.isprintable() else _INVISIBLE.sub(_visible, text)
    if line.lstrip().startswith("::"):
        # a CI runner reads a line starting with '::' as a workflow command, on stdout and stderr
        return line.replace("::", "%3A%3A", 1)
    return line


#: a spreadsheet reads a cell starting with one of these as a formula (or a DDE command)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """A text cell for CSV: a leading apostrophe keeps a spreadsheet from running it as a formula.

    Control characters are made visible as in a terminal (a CSV is often read with `cat`).
    Only for text columns: exact numbers (`-3`) are written as they are.

    >>> csv_cell("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> csv_cell("CONV1")
    'CONV1'
    """
    if text.startswith(_FORMULA_START):
        return "'" + terminal(text)
    return terminal(text)


def markdown_cell(text: str) -> str:
    """Text for a Markdown table cell or heading: pipes escaped, line breaks as spaces, controls visible.

    >>> markdown_cell("a|b\\nc")
    'a\\\\|b c'
    """
    if text.isprintable() and "|" not in text:
        return text
    flat = re.sub(r"\r\n|\r|\n", " ", text)
    return terminal(flat).replace("\\|", "|").replace("|", "\\|")


def markdown_code(text: str) -> str:
    """Text as inline code in Markdown (a fence long enough for the backticks it holds)."""
    body = markdown_cell(text)
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


#: what XML 1.0 forbids anywhere in a document (a tab, LF and CR are allowed)
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text for JUnit XML (element text or attribute): characters XML 1.0 forbids made visible.

    The XML writer escapes `<`, `&` and quotes; this removes what no escaping can carry
    (a NUL, ESC, lone surrogates), which would make the whole report unreadable.

    >>> xml_text("a\\x00b\\x1b")
    'a\\\\x00b\\\\x1b'
    """
    return _XML_FORBIDDEN.sub(_visible, text)


#: controls other than CR and LF (those two GitHub's own encoding carries)
_CONTROLS_BUT_LINES = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def github_data(text: str) -> str:
    """The message of a GitHub workflow command: `%`, CR and LF encoded as GitHub documents.

    >>> github_data("50%\\n::error::x")
    '50%25%0A::error::x'
    """
    kept = _CONTROLS_BUT_LINES.sub(_visible, text)
    return kept.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value of a workflow command (`file=`, `title=`): also `:` and `,` encoded."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(text: str) -> str:
    """A plain log line next to workflow commands: never read as a command itself.

    >>> github_line("::error::fake")
    '%3A%3Aerror::fake'
    """
    line = github_data(text)
    return line.replace("::", "%3A%3A", 1) if line.lstrip().startswith("::") else line


def svg_text(text: str) -> str:
    """Text for SVG or any XML, as element text or a double-quoted attribute value.

    Markup characters become entities, and controls and bidi overrides are made visible as in
    the terminal (what XML forbids could not be written at all; a right-to-left override
    would let a label read as another one), so a layer named `</svg><script>` is shown as
    written and never runs. The one escape for SVG: drawings and plots both use it.

    >>> svg_text('<a href="x">&</a>')
    '&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'
    """
    escaped = xml_text(terminal(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace('"', "&quot;").replace("'", "&#39;")


def dot_string(text: str) -> str:
    """A double-quoted Graphviz string: quotes and backslashes escaped (`\\n` and `\\l` are
    label escapes in DOT), controls made visible.

    >>> print(dot_string('say "hi" \\\\o/'))
    "say \\"hi\\" \\\\o/"
    """
    body = terminal(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{body}"'


#: characters Mermaid reads as syntax inside a quoted label, written as its `#code;` entities
_MERMAID = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}


def mermaid_label(text: str) -> str:
    """A double-quoted Mermaid node label: syntax characters as Mermaid's `#code;` entities.

    >>> mermaid_label('a"]-->b')
    '"a#quot;]--#gt;b"'
    """
    body = "".join(_MERMAID.get(char, char) for char in terminal(text))
    return f'"{body}"'


def html_text(text: str) -> str:
    """Text for HTML, as element text or a quoted attribute value: markup characters as
    entities, controls and bidirectional overrides made visible as in a terminal.

    >>> html_text('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    line = text if text.isprintable() else _INVISIBLE.sub(_visible, text)
    return html.escape(line, quote=True)


#: what could end a <script> element early (or open a comment in it) and the two line
#: separators older JavaScript reads as line ends: written as JSON's own \u escapes
_SCRIPT_JSON = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(text: str) -> str:
    """JSON text to embed in a <script type="application/json"> element.

    `</script>` in a layer name would end the element and run what follows; `<`, `>` and
    `&` only ever occur inside JSON strings, where `\\u003c` means the same character, so
    the document still parses to the same data.

    >>> script_json('{"name": "</script><script>alert(1)"}')
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)"}'
    """
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_JSON[m.group()], text)


__all__ = [
    "csv_cell",
    "dot_string",
    "github_data",
    "github_line",
    "github_property",
    "html_text",
    "markdown_cell",
    "markdown_code",
    "mermaid_label",
    "script_json",
    "svg_text",
    "terminal",
    "xml_text",
]
