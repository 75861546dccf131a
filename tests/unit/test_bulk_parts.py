"""The last key of a bulk CSV part: it is the checkpoint a resumed scan starts after."""

from activities.collect_postgres import last_csv_key


def test_last_key_of_plain_rows() -> None:
    body = b"id,user_email,event\r\n7,a@example.se,open\r\n12,a@example.se,search\r\n"
    assert last_csv_key(body, 3) == "12"


def test_last_key_when_the_last_row_holds_a_quoted_line_break() -> None:
    body = b'id,user_email,query\n7,a@example.se,x\n19,a@example.se,"two\nlines"\n'
    assert last_csv_key(body, 3) == "19"


def test_last_key_without_a_trailing_newline() -> None:
    assert last_csv_key(b"id,e\n3,x\n44,y", 2) == "44"
