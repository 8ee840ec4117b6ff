"""The shipped default against the best reference model at every monthly cutoff, with the 95%
range of the margin (README, "Model selection"; `benches/evaluate.sh margins` runs it).

    ~/.venvs/bench/bin/pip install numpy scipy pandas pyarrow implicit
    ~/.venvs/bench/bin/python benches/reference_models/margins.py KINDRED_BINARY [CUTOFF ...]

At each cutoff: `kindred evaluate` of pipelines/online_retail.toml gives the default's figures and
the model its selection chose (on the training rows only); `kindred run` of the same pipeline on
the export cut at the cutoff gives its lists (the same training rows, so the same lists), scored
per customer with the protocol of common.py (it reproduces evaluate's NDCG; checked below). The
references are refs.py's, obeying the pipeline's `[recommend] never_recommend` as kindred's models
and `kindred evaluate`'s baselines do (with --references-unrestricted they may recommend those
items, as before session 36; the test sets are the same either way). The margin is NDCG(default) / NDCG(best reference) - 1; its 95% range
comes from 2,000 paired bootstrap resamples of the evaluated customers (seed 7).
"""
import json, os, subprocess, sys, tempfile, time
import numpy as np, pandas as pd
import common
from common import PATH, split, rank_and_eval
from refs import REFS

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
PIPELINE = os.path.join(ROOT, 'pipelines', 'online_retail.toml')
CUTOFFS = ['2011-02-09', '2011-03-09', '2011-04-09', '2011-05-09', '2011-06-09', '2011-07-09',
           '2011-08-09', '2011-09-09', '2011-10-09', '2011-11-09']


def raw():
    df = pd.read_csv(PATH, dtype={'InvoiceNo': str, 'StockCode': str, 'Description': str, 'Country': str},
                     parse_dates=['InvoiceDate'])
    return df


def kindred_each(binary, s, cut, tmp):
    """Per evaluated customer NDCG@10 of the default's lists made on the rows before the cutoff,
    the run's seconds, and whether a data gate refused the run (it is then rerun with --force:
    the lists are the same, the manifest records it)."""
    train = os.path.join(tmp, 'train.parquet')
    cut.to_parquet(train, index=False)
    out = os.path.join(tmp, 'out')
    cmd = [binary, 'run', PIPELINE, '--input', train, '--output', out, '--quiet']
    t = time.time()
    forced = subprocess.run(cmd).returncode != 0
    if forced:  # a data gate refused: publish anyway (recorded in the manifest), lists unchanged
        subprocess.run(cmd + ['--force'], check=True)
    secs = time.time() - t
    recs = pd.read_parquet(os.path.join(out, 'recommendations.parquet'), columns=['customer_id', 'rank', 'item_id'])
    cidx = {int(c): i for i, c in enumerate(s.custs)}
    iidx = {v: i for i, v in enumerate(s.items)}
    k = 10
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    lists = {}
    for c, r, i in zip(recs.customer_id, recs['rank'], recs.item_id):
        if r <= k:
            lists.setdefault(cidx[int(c)], {})[r] = iidx.get(str(i), -1)
    each = np.empty(len(s.eval_users))
    for n, u in enumerate(s.eval_users):
        test = set(s.Test[n].indices)
        got = lists.get(u, {})
        dcg = sum(disc[r - 1] for r, i in got.items() if i in test)
        each[n] = dcg / disc[:min(k, len(test))].sum()
    return each, secs, forced


def bootstrap(a, b, rounds=2000, seed=7):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(rounds, len(a)))
    ratios = a[idx].mean(1) / b[idx].mean(1) - 1
    return np.percentile(ratios, [2.5, 97.5])


def main():
    args = [a for a in sys.argv[1:] if a != '--references-unrestricted']
    if len(args) == len(sys.argv[1:]):
        common.NEVER_RECOMMEND = common.never_recommend_of(PIPELINE)
    binary = os.path.abspath(args[0])
    cutoffs = args[1:] or CUTOFFS
    df = raw()
    print('| cutoff | chosen on the training rows | default NDCG@10 / coverage | best reference | margin (95% range) |')
    print('|---|---|---|---|---|')
    for cutoff in cutoffs:
        with tempfile.TemporaryDirectory() as tmp:
            ev = json.loads(subprocess.run([binary, 'evaluate', PIPELINE, '--cutoff', cutoff, '--json', '--output', tmp],
                                           check=True, capture_output=True, text=True).stdout)
            s = split(cutoff)
            mine = kindred_each(binary, s, df[df.InvoiceDate < pd.Timestamp(cutoff)], tmp)[0]
        assert abs(mine.mean() - ev["model"]["ndcg"]) < 1e-6, (mine.mean(), ev['model']['ndcg'])
        refs = {name: rank_and_eval(s, model(s)) for name, model in REFS.items()}
        best = max(refs, key=lambda n: refs[n]['ndcg'])
        lo, hi = bootstrap(mine, refs[best]['each'])
        w = ev['selection']['winner'] if ev.get('selection') else {'candidate': 'named', 'settings': ''}
        margin = mine.mean() / refs[best]['ndcg'] - 1
        print(f"| {cutoff} | {w['candidate']} ({w['settings']}) | {mine.mean():.4f} / {ev['model']['coverage']:.3f} | "
              f"{best} {refs[best]['ndcg']:.4f} | **{margin * 100:+.1f}%** ({lo * 100:+.1f} … {hi * 100:+.1f}) |", flush=True)


if __name__ == '__main__':
    main()
