"""Work after an ack yields to acks: it waits while Slack requests are being answered, and
never longer than its bound (a modal's trigger_id lives 3 seconds)."""

from __future__ import annotations

import threading
import time

from bot.slack.background import YIELD_AT_MOST, Background


def test_work_after_an_ack_waits_while_a_burst_is_answered() -> None:
    pool, ran = Background(workers=1, yield_at_most=10), threading.Event()
    try:
        with pool.answering():
            pool.submit(ran.set)
            assert not ran.wait(0.3)  # a request is being answered: the work waits
        assert ran.wait(5)  # quiet: it runs
    finally:
        pool.shutdown()


def test_work_after_an_ack_waits_no_longer_than_its_bound() -> None:
    pool, ran = Background(workers=1, yield_at_most=0.3), threading.Event()
    try:
        with pool.answering():  # a burst that does not stop
            submitted = time.monotonic()
            pool.submit(ran.set)
            assert ran.wait(5)
            assert 0.3 <= time.monotonic() - submitted < 3
    finally:
        pool.shutdown()


def test_the_bound_leaves_a_modal_time_to_open() -> None:
    assert YIELD_AT_MOST <= 1.0  # Slack's trigger_id expires 3 s after the click


def test_patient_work_does_not_hold_back_pressing_work() -> None:
    """A burst's thread notes may wait for it to end; a modal's work queued after them may
    not wait behind them."""
    pool = Background(workers=1, yield_at_most=0.3)
    note, modal = threading.Event(), threading.Event()
    try:
        with pool.answering():
            pool.submit(note.set, yield_at_most=30)
            pool.submit(modal.set)
            assert modal.wait(5)
            assert not note.is_set()
        assert note.wait(5)  # the burst is over
    finally:
        pool.shutdown()


def test_a_pause_in_a_burst_hands_over_no_more_than_the_workers_can_start() -> None:
    """The sender's hiccup in the middle of a burst is a quiet moment: one piece of work per
    free worker starts, and the rest stays held once the burst goes on."""
    pool = Background(workers=1, yield_at_most=10)
    first_started, first_may_end, second_started = (threading.Event() for _ in range(3))

    def first() -> None:
        first_started.set()
        first_may_end.wait(5)

    try:
        with pool.answering():
            pool.submit(first)
            pool.submit(second_started.set)
            pool.submit(lambda: None)
        assert first_started.wait(5)  # the pause: the one worker takes the first
        with pool.answering():  # the burst goes on
            first_may_end.set()
            assert not second_started.wait(0.3)  # the worker is free, but acks come first
        assert second_started.wait(5)
        assert pool.wait_idle(5)
    finally:
        first_may_end.set()
        pool.shutdown()
