"""A session's written feedback report (the written format): the record in the guidelines'
order as a PDF, sent to the agent when the coach signs it and downloadable from the session."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from supportqa.coaching import actions, measure
from supportqa.coaching.models import Session
from supportqa.workflow.pdf import latin


def _figure(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def written_report(session: Session) -> bytes:
    catalogue = measure.goal_metrics()
    pdf = FPDF(format="A4")
    pdf.set_title(latin(f"Feedback for {session.agent.name}"))
    pdf.set_creator("SupportQA")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def line(text: str, size: int = 10, bold: bool = False, gap: float = 5) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, gap, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(f"Feedback for {session.agent.name}", 16, True, 9)
    line(f"From {session.coach.name}, {session.starts_at:%d %b %Y}. Looking back on "
         f"{session.period_first:%d %b} to {session.period_last:%d %b %Y}.")  # fmt: skip
    signed = [
        f"{who} signed {moment:%d %b %Y}"
        for who, moment in ((session.coach.name, session.coach_signed_at),
                            (session.agent.name, session.agent_signed_at))
        if moment is not None
    ]  # fmt: skip
    line("; ".join(signed) + "." if signed else "Not signed yet.")
    sections = [
        ("What went well", [session.positives or "-"]),
        ("Areas for improvement", [
            f"{catalogue[a.metric].label if a.metric in catalogue else a.metric}: {a.note}"
            + (f" (examples: {', '.join(a.examples)})" if a.examples else "")
            for a in session.areas.all()
        ] or ["-"]),
        ("Your reflection", [session.self_reflection or "-"]),
        ("Support offered", [", ".join(session.support) + (f": {session.support_note}"
                                                          if session.support_note else "")
                             or "-"]),
        ("Goals", [
            f"{t.metric.label if t.metric else t.goal.metric}: from "
            f"{_figure(t.goal.baseline.get('value'))} to {t.goal.target:g} by {t.goal.due:%d %b %Y}"
            + (f" (now {t.progress.current.value:.1f}: {t.progress.status})"
               if t.progress and t.progress.current.value is not None else "")
            for t in (actions.track(g, catalogue=catalogue) for g in session.goals.all())
        ] or ["-"]),
    ]  # fmt: skip
    for title, items in sections:
        pdf.ln(3)
        line(title, 12, True, 7)
        for item in items:
            line(item)
    return bytes(pdf.output())
