"""The rhythm lane's rules, run in the browser on explicit times (no clock involved)."""

from __future__ import annotations

from .pages import PagePlayer


async def test_judgements_combo_and_score(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server)
    result = await page.page.evaluate(
        """async () => {
            const { Chart } = await import("/static/js/lane.js");
            const chart = new Chart(10000, 120, 4);         // a beat every 500 ms; notes at 11000, 11500, 12000, 12500
            const notes = chart.notes.map((note) => note.at);
            const steps = [
                chart.press(10700),                        // nowhere near a note: ignored
                chart.press(11000),                        // on time
                chart.press(11600),                        // 100 ms late
            ];
            const missed = chart.sweep(12200);            // the third note went by
            const last = chart.press(12530);
            return { notes, steps, missed, last, next: chart.nextNoteAt(), endsAt: chart.endsAt() };
        }"""
    )
    assert result["notes"] == [11000, 11500, 12000, 12500]
    assert result["steps"] == [
        None,
        {"kind": "perfect", "score": 300, "combo": 1},
        {"kind": "good", "score": 410, "combo": 2},  # 100 points and a combo bonus of 10
    ]
    assert result["missed"] == [{"kind": "miss", "score": 410, "combo": 0}]
    assert result["last"] == {"kind": "perfect", "score": 710, "combo": 1}
    assert result["next"] is None
    assert result["endsAt"] == 12500 + 150 + 500
    page.assert_no_console_errors()
