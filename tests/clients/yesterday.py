"""The shipped export as it stood a day earlier: data/online_retail.csv.gz without the rows of its
last invoice day, as CSV (stdlib only). CI runs kindred on it, then on the whole export, so the
second run has a real previous set to drift from (.ci/bi, .ci/report).

Usage: yesterday.py OUT.csv
"""

import csv
import gzip
import sys

with gzip.open("data/online_retail.csv.gz", "rt", newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
at = header.index("InvoiceDate")
last = max(r[at][:10] for r in body)  # ISO dates: text order is time order
with open(sys.argv[1], "w", newline="", encoding="utf-8") as out:
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(r for r in body if r[at][:10] < last)
print(f"{sys.argv[1]}: {len(body)} rows without {last}'s", file=sys.stderr)
