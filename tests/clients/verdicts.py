"""The verdict lines CI's client checks print (check_clients.py, check_bi.py): one line per
check, the failures kept so the script can exit non-zero at the end. Needs nothing beyond the
standard library (the Tableau venv has no pyarrow)."""

failures = []


def check(what, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(what)
