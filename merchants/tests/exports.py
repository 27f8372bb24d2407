"""Reading an admin CSV export (`merchants.exports`) in tests, as a browser downloads it.

`csv_rows(response)` gives the rows by column name; `read_streamed(response, Model)` takes the
file piece by piece and says how many rows had been read when the first piece left, so a test
can prove the export streams rather than loading every row first.
"""

import csv
import io
from dataclasses import dataclass
from unittest import mock

from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from merchants.exports import BOM


def csv_text(response) -> str:
    """The whole file of a streamed export, without its byte order mark (checked)."""
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM)
    return text[len(BOM) :]


def csv_rows(response) -> list[dict]:
    """The rows of a streamed export, by column name."""
    return list(csv.DictReader(io.StringIO(csv_text(response))))


@dataclass(frozen=True)
class StreamedRead:
    first: bytes  # the first piece that left
    body: bytes  # the whole file
    loaded_first: int  # rows of the model read from the database when the first piece left
    loaded: int  # rows read in all
    queries: list[str]  # SQL run while the file was written


def read_streamed(response, model) -> StreamedRead:
    """Take a streamed export piece by piece, counting the `model` rows loaded from the
    database (`Model.from_db`) by the first piece and by the end, and the queries run."""
    assert isinstance(response, StreamingHttpResponse)
    with (
        mock.patch.object(model, "from_db", wraps=model.from_db) as loaded,
        CaptureQueriesContext(connection) as queries,
    ):
        pieces = iter(response.streaming_content)
        first = next(pieces)
        loaded_first = loaded.call_count
        rest = b"".join(pieces)
    return StreamedRead(
        first=first,
        body=first + rest,
        loaded_first=loaded_first,
        loaded=loaded.call_count,
        queries=[query["sql"] for query in queries.captured_queries],
    )
