"""The judge's rules on explicit times (no clock, no server): game_backend/judging/."""

from __future__ import annotations

import pytest

from game_backend.controllers.rankings import shared_ranks
from game_backend.controllers.songs import part
from game_backend.judging.judge import Judge, Part, reported_bound
from game_backend.judging.presses import pack, time_problem, unpack

NOTES = [{"time": time, "instrument": "drum1", "motion": motion}
         for time, motion in ((1000, "A"), (1500, "B"), (2000, "A"), (2500, "B"))]


def kinds(judge: Judge, *presses: int | tuple[int, str]) -> list[tuple[str, int, int]]:
    judged = []
    for press in presses:
        at, motion = press if isinstance(press, tuple) else (press, None)
        judgement = judge.press(at, motion)
        judged.append((judgement.kind, judgement.score, judgement.combo))
    return judged


def test_windows_points_and_the_combo_bonus() -> None:
    judge = Judge(Part.of(NOTES, "drum1", 5000))
    assert kinds(judge, 700, 1000, 1600, 2140, 2500) == [
        ("miss", 0, 0),  # no note in reach
        ("perfect", 300, 1),
        ("good", 410, 2),  # 100 ms late: 100 points and a bonus of 10
        ("good", 530, 3),  # 140 ms late: a bonus of 20
        ("perfect", 860, 4),
    ]


def test_a_note_is_hit_once_and_notes_that_went_by_break_the_combo() -> None:
    judge = Judge(Part.of(NOTES, "drum1", 5000))
    assert kinds(judge, 1000, 1000, 1500) == [("perfect", 300, 1), ("miss", 300, 0), ("perfect", 600, 1)]
    assert kinds(judge, 2500) == [("perfect", 900, 1)]  # the note at 2000 went by: the combo broke first


def test_a_press_naming_a_motion_hits_only_a_note_of_that_motion() -> None:
    judge = Judge(Part.of(NOTES, "drum1", 5000))
    assert kinds(judge, (1000, "B"), (1010, "A")) == [("miss", 0, 0), ("perfect", 300, 1)]


def test_the_combo_bonus_stops_growing_at_its_cap() -> None:
    notes = [{"time": 1000 + 500 * n, "instrument": "drum1", "motion": "A"} for n in range(25)]
    judge = Judge(Part.of(notes, "drum1", 20000))
    judged = kinds(judge, *(note["time"] for note in notes))
    assert [b[1] - a[1] for a, b in zip(judged, judged[1:], strict=False)][-3:] == [500, 500, 500]


def test_an_instrument_the_song_does_not_chart_plays_its_lead_part() -> None:
    notes = [*NOTES, {"time": 1200, "instrument": "drum2", "motion": "A"}]
    assert Part.of(notes, "guitar", 5000).times == (1000, 1500, 2000, 2500)
    assert Part.of(notes, "drum2", 5000).times == (1200,)
    assert part(6, "drum1").times[:6] == (3000, 3429, 4286, 4714, 5143, 6000)


def test_a_reported_score_is_at_most_one_point_a_note_due_with_a_lead() -> None:
    lead = Part.of(NOTES, "drum1", 5000)
    assert [reported_bound(lead, elapsed) for elapsed in (-5000, -1001, -1000, 0, 499, 500, 10000)] == [
        0, 0, 1, 3, 3, 4, 4]


@pytest.mark.parametrize(("at", "elapsed", "refused"), [
    (-1, 0, "before the round's start"),
    (1000, 1000, None),
    (1250, 1000, None),  # a synced clock may run a little ahead
    (1300, 1000, "ahead of the server's clock"),
    (1000, 6000, None),
    (999, 6000, "ms old"),
    (5001, 5001, "after the song's end"),
])
def test_when_a_press_may_claim_to_have_happened(at: int, elapsed: float, refused: str | None) -> None:
    problem = time_problem(at, elapsed, ends_at=5000)
    assert problem is None if refused is None else refused in (problem or "")


def test_a_press_packs_into_one_integer_and_back() -> None:
    for press in ((0, None), (3000, "A"), (123456, "B")):
        assert unpack(pack(*press)) == press


def test_equal_totals_share_a_rank() -> None:
    assert shared_ranks([90, 60, 60, 30, 30, 10]) == [1, 2, 2, 4, 4, 6]
    assert shared_ranks([]) == []
