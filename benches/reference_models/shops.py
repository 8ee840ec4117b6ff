"""The shipped default against the best reference model on other shops' exports, with the 95%
range of the margin: margins.py's protocol, for any export in the Online Retail column names.

    ~/.venvs/bench/bin/pip install numpy scipy pandas pyarrow implicit openpyxl
    ~/.venvs/bench/bin/python benches/reference_models/shops_data.py SHOP SOURCE SHOP.parquet
    ~/.venvs/bench/bin/python benches/reference_models/shops.py KINDRED_BINARY SHOP.parquet CUTOFF [CUTOFF ...]

shops_data.py says where each shop's export comes from and converts it (InvoiceNo, StockCode,
Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country; what a shop lacks is filled
with Quantity 1, UnitPrice 1.0, Country "X", InvoiceNo "<customer>-<yyyymmdd>"). Shops and
cutoffs used so far (test = every purchase from the cutoff to the end of the export):

    groceries  (Kaggle Groceries dataset, 2014-01 … 2015-12)    2015-10-01 2015-11-01 2015-12-01
               and, with --test-days 61, monthly 2015-01-01 … 2015-11-01
    retail2_eu (Online Retail II 2009-12 … 2010-11, the 9 European countries of the only copy
               found whole: 157 customers; see shops_data.py)   2010-03-01 2010-06-01 2010-09-01
               2010-11-01 and, with --test-days 61, monthly 2010-03-01 … 2010-10-01

At each cutoff: `kindred evaluate pipelines/online_retail.toml --input SHOP.parquet --cutoff C`
gives the default's figures and the model its selection chose (on the training rows only);
`kindred run` of the same pipeline on the export cut at the cutoff gives its lists (the same
training rows, so the same lists), scored per customer with the protocol of common.py (checked
against evaluate's NDCG to 1e-6, and its customer count exactly). The references are refs.py's
(popularity, user-kNN 10/50, item-kNN, SAR 14 d, ALS), obeying the pipeline's `[recommend]
never_recommend` as kindred's models and evaluate's baselines do (--references-unrestricted: as
before session 36, they may recommend those items; the test sets are the same either way). The margin is
NDCG(default) / NDCG(best reference) - 1; its 95% range comes from 2,000 paired bootstrap
resamples of the evaluated customers (seed 7). After the table, the candidates kindred's
selection scored on its held-back window at each cutoff (winner marked *), and the seconds each
kindred call took. With --json-dir DIR, evaluate's JSON for each cutoff is kept there. With
--test-days N the export is cut N days after each cutoff (a test period of N days at any cutoff,
as if the export had been taken then). --tolerance T loosens the 1e-6 check of the rescored
lists against evaluate's NDCG (the gap is printed with the seconds either way). Item ids are
trimmed of surrounding whitespace, as kindred reads them (common.py).
"""
import argparse, json, os, subprocess, tempfile, time
import numpy as np, pandas as pd
import common
from common import split, rank_and_eval
from refs import REFS
from margins import PIPELINE, bootstrap, kindred_each


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('binary')
    ap.add_argument('export', help='Parquet in the Online Retail column names (shops_data.py)')
    ap.add_argument('cutoffs', nargs='+')
    ap.add_argument('--json-dir', help="keep evaluate's JSON per cutoff here")
    ap.add_argument('--test-days', type=int, help='end the export this many days after each cutoff '
                    '(default: test on everything from the cutoff on)')
    ap.add_argument('--tolerance', type=float, default=1e-6,
                    help="largest |evaluate's NDCG - the rescored lists' NDCG| accepted (default 1e-6)")
    ap.add_argument('--references-unrestricted', action='store_true',
                    help="let the references recommend the pipeline's never_recommend items")
    a = ap.parse_args()
    if not a.references_unrestricted:
        common.NEVER_RECOMMEND = common.never_recommend_of(PIPELINE)
    binary, export = os.path.abspath(a.binary), os.path.abspath(a.export)
    common.PATH = export  # common.clean() reads the Parquet branch
    full = df = pd.read_parquet(export)
    assert df.InvoiceDate.dt.tz is None
    sel, secs, tests = [], [], []
    print(f"{export}: {len(df)} rows, {df.CustomerID.nunique()} customers, {df.StockCode.nunique()} items, "
          f"{df.InvoiceDate.min()} … {df.InvoiceDate.max()}", flush=True)
    print('| cutoff | chosen on the training rows | default NDCG@10 / coverage | '
          + ' | '.join(REFS) + ' | best reference | margin (95% range) | customers |')
    print('|---|---|---|' + '---|' * len(REFS) + '---|---|---|')
    for cutoff in a.cutoffs:
        with tempfile.TemporaryDirectory() as tmp:
            if a.test_days:  # the export as if it ended test_days after the cutoff
                end = pd.Timestamp(cutoff) + pd.Timedelta(days=a.test_days)
                df = full[full.InvoiceDate < end]
                export = common.PATH = os.path.join(tmp, 'export.parquet')
                df.to_parquet(export, index=False)
                common.clean.cache_clear(); split.cache_clear()
            t = time.time()
            # evaluate's own folder beside the cut export: an output folder holding the input is
            # refused (kindred 0.4.0: a run would replace it)
            out = subprocess.run([binary, 'evaluate', PIPELINE, '--input', export, '--cutoff', cutoff, '--json',
                                  '--output', os.path.join(tmp, 'ev')], check=True, capture_output=True, text=True).stdout
            t_eval = time.time() - t
            ev = json.loads(out)
            if a.json_dir:
                os.makedirs(a.json_dir, exist_ok=True)
                with open(os.path.join(a.json_dir, f'evaluate-{cutoff}.json'), 'w') as f:
                    f.write(out)
            s = split(cutoff)
            ndays = (df.InvoiceDate.max() - pd.Timestamp(cutoff)).days + 1
            mine, t_run, forced = kindred_each(binary, s, df[df.InvoiceDate < pd.Timestamp(cutoff)], tmp)
        gap = ev['model']['ndcg'] - mine.mean()
        assert abs(gap) < a.tolerance, (cutoff, mine.mean(), ev['model']['ndcg'])
        assert len(mine) == ev['model']['customers'], (len(mine), ev['model']['customers'])
        refs = {}
        for name, model in REFS.items():
            t = time.time()
            refs[name] = rank_and_eval(s, model(s))
            refs[name]['secs'] = time.time() - t
        best = max(refs, key=lambda n: refs[n]['ndcg'])
        lo, hi = bootstrap(mine, refs[best]['each'])
        w = ev['selection']['winner'] if ev.get('selection') else {'candidate': 'named', 'settings': ''}
        margin = mine.mean() / refs[best]['ndcg'] - 1
        print(f"| {cutoff} | {w['candidate']} ({w['settings']}) | {mine.mean():.4f} / {ev['model']['coverage']:.3f} | "
              + ' | '.join(f"{refs[n]['ndcg']:.4f}" for n in REFS)
              + f" | {best} {refs[best]['ndcg']:.4f} | **{margin * 100:+.1f}%** ({lo * 100:+.1f} … {hi * 100:+.1f}) | "
              f"{len(mine)} |", flush=True)
        sel.append((cutoff, ev.get('selection')))
        tests.append((cutoff, ndays, df.InvoiceDate.max()))
        secs.append((cutoff, gap, t_eval, t_run, forced, ev.get('train_rows'), ev.get('test_rows'),
                     {n: refs[n]['secs'] for n in REFS}))
    print('\nTest periods: ' + '; '.join(f"{c}: {n} d (to {e})" for c, n, e in tests))
    print('\nSelection (NDCG@10 of each candidate on its held-back window; * = published):')
    for cutoff, se in sel:
        if not se:
            print(f"{cutoff}: no selection (named model)")
            continue
        wn = se['window']
        print(f"{cutoff}: window {wn.get('start_utc')} ({wn.get('days')} d, {wn.get('customers')} customers); "
              f"best {se['best']['candidate']} ({se['best']['settings']}); skipped {se.get('skipped')}")
        for c in se.get('candidates', []):
            star = '*' if (c['candidate'], c['settings']) == (se['winner']['candidate'], se['winner']['settings']) else ' '
            print(f"  {star} {c['candidate']:<10} {c['settings']:<50} {c['ndcg']:.4f}  cov {c['coverage']:.3f}")
    print('\nSeconds: kindred evaluate, kindred run (on the rows before the cutoff), reference models:')
    for cutoff, gap, te, tr, forced, ntr, nte, rs in secs:
        print(f"{cutoff}: NDCG evaluate - rescored {gap:+.2e}; evaluate {te:.2f} s, run {tr:.2f} s{' (--force: a data gate refused)' if forced else ''}; "
              f"train rows {ntr}, test rows {nte}; " + ', '.join(f"{n} {v:.1f}" for n, v in rs.items()))


if __name__ == '__main__':
    main()
