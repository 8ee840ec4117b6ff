"""md5 of each Parquet file's data pages (the bytes before its footer) and of its footer's
key-value metadata without `kindred.run_id`: equal for two runs' tables of the same data,
whatever run wrote them (each run writes its id into every file's footer, and into the Arrow
schema embedded there as base64: that schema is decoded and its run id taken out too; two run
ids of different lengths, pids of different digit counts, shift its bytes: DIFFERENT, never a
false SAME).

Usage: parquet_data_md5.py FILE.parquet ...   (prints "MD5  FILE" lines, as md5sum does)
Standard library only: the footer's key-value pairs are found as the UTF-8 text they are.
"""

import base64
import hashlib
import re
import sys

for name in sys.argv[1:]:
    data = open(name, "rb").read()
    assert data[-4:] == b"PAR1", f"{name}: not a Parquet file"
    footer = int.from_bytes(data[-8:-4], "little")
    body, meta = data[: len(data) - 8 - footer], data[len(data) - 8 - footer : -8]
    # the run id is a value of the form 20261201T020000.123Z-4242 (see publish::new_run_id),
    # after its one-byte length (the pid's digits vary)
    run = rb".\d{8}T\d{6}\.\d{3}Z-\d+"
    meta = re.sub(run, b"RUN", meta, flags=re.S)
    # the ARROW:schema value: a field header, its length (a varint), the base64 text
    arrow = rb"(ARROW:schema.[\x80-\xff]*[\x00-\x7f])([A-Za-z0-9+/]+=*)"
    meta = re.sub(arrow, lambda m: m[1] + re.sub(run, b"RUN", base64.b64decode(m[2]), flags=re.S), meta, flags=re.S)
    print(hashlib.md5(body).hexdigest() + hashlib.md5(meta).hexdigest()[:8], name)
