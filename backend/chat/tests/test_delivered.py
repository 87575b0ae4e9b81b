"""Which seqs a connection has been sent, when broadcasts arrive out of order."""

from chat.consumers import Delivered


def test_an_early_seq_is_kept_until_the_gap_fills():
    delivered = Delivered()
    delivered.start_after(4)
    delivered.add(6)
    assert not delivered.has(5) and delivered.has(6)
    assert delivered.through == 4
    delivered.add(5)
    assert delivered.through == 6 and delivered.above == set()


def test_history_up_to_a_seq_counts_as_delivered():
    delivered = Delivered()
    delivered.add(9)
    delivered.start_after(10)
    assert delivered.has(7) and delivered.has(10) and not delivered.has(11)
    assert delivered.above == set()
    assert delivered.highest == 10
