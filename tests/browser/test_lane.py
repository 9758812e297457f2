"""The rhythm lane's rules, run in the browser on explicit times (no clock involved)."""

from __future__ import annotations

from .pages import PagePlayer


async def test_judgements_combo_and_score(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server)
    result = await page.page.evaluate(
        """async () => {
            const { Chart } = await import("/static/js/lane.js");
            const part = [1000, 1500, 2000, 2500].map((time) => ({ time, motion: "A" }));
            const chart = new Chart(10000, part, 500);       // started at 10000: notes at 11000, 11500, 12000, 12500
            const notes = chart.notes.map((note) => note.at);
            const steps = [
                chart.press(10700),                        // nowhere near a note: a miss
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
        {"kind": "miss", "score": 0, "combo": 0},
        {"kind": "perfect", "score": 300, "combo": 1},
        {"kind": "good", "score": 410, "combo": 2},  # 100 points and a combo bonus of 10
    ]
    assert result["missed"] == [{"kind": "miss", "score": 410, "combo": 0}]
    assert result["last"] == {"kind": "perfect", "score": 710, "combo": 1}
    assert result["next"] is None
    assert result["endsAt"] == 12500 + 150 + 1000
    page.assert_no_console_errors()


async def test_equal_scores_share_a_rank_on_the_results_screen(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server)
    ranks = await page.page.evaluate(
        """async () => {
            const { ranked } = await import("/static/js/round.js");
            return ranked([{ score: 5 }, { score: 9 }, { score: 9 }, { score: 1 }]).map((row) => [row.score, row.rank]);
        }"""
    )
    assert ranks == [[9, 1], [9, 1], [5, 3], [1, 4]]
    page.assert_no_console_errors()
