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
