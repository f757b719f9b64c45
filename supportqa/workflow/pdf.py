"""The management report as a PDF (fpdf2: pure Python, installed from the package registry,
no system packages). The same tables as the page and the CSV (`reporting.tables`)."""

from __future__ import annotations

from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from supportqa.workflow.models import ManagementReport
from supportqa.workflow.reporting import content_of, tables

# The PDF core fonts are Latin-1: typographic marks become their plain forms.
PLAIN = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
                       "≥": ">=", "≤": "<=", "×": "x", "→": "->", "·": "-",
                       "€": "EUR", "−": "-"})  # fmt: skip


# A table cell longer than this is cut in the PDF (the page and the CSV keep it whole): a
# row must fit on one page.
CELL = 160


def latin(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


def _cell(text: str) -> str:
    return latin(text if len(text) <= CELL else text[: CELL - 1] + "…".translate(PLAIN))


def render_pdf(report: ManagementReport) -> bytes:
    content = content_of(report)
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(latin(f"Management report: {report}"))
    pdf.set_creator("SupportQA")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, latin(f"Management report: {content['team']}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    pdf.set_font("Helvetica", "", 10)
    first, last = date.fromisoformat(content["first_day"]), date.fromisoformat(content["last_day"])
    lines = [
        f"Period: {first:%d %b %Y} to {last:%d %b %Y}",
        f"State: {report.get_state_display()}"
        + (f" by {report.decided_by.name}" if report.decided_by else ""),
        f"Figures compiled {content['compiled_at'][:16].replace('T', ' ')} UTC",
    ]
    if report.decision_comment:
        lines.append(f"Decision: {report.decision_comment}")
    for line in lines:
        pdf.multi_cell(0, 6, latin(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if report.summary:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, "Summary", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, latin(report.summary), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    requests = content["requests"]
    pdf.ln(2)
    said = (
        f"Requests: {requests['started']} started in the period, {requests['open']} open, "
        f"{requests['sent_back']} sent back at a gate"
    )
    pdf.cell(0, 6, latin(said), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for table in tables(content):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, latin(table.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 8)
        if not table.rows:
            pdf.cell(0, 5, "None in the period.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            continue
        with pdf.table(first_row_as_headings=True, line_height=4.5) as grid:
            for cells in [table.header, *table.rows]:
                row = grid.row()
                for cell in cells:
                    row.cell(_cell(cell))
    return bytes(pdf.output())
