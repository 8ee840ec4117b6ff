"""Run a kindred binary on planted seasonal shops and score what it publishes.

usage: python score.py BIN SHAPE... [--tag TAG] [--threads 2] [--candidates a,b,c] [--no-run]

For each shape (a folder written by gen.py), sequentially:
  rm -rf SHAPE/out_TAG; /usr/bin/time -v BIN run pipeline.toml --threads T --output out_TAG
  (stderr -> SHAPE/run_TAG.log, stdout -> SHAPE/run_TAG.stdout)
then scores out_TAG/recommendations.parquet against SHAPE/future.parquet with kindred's protocol
(customers known before the cutoff; their items bought in [cutoff, cutoff+H) that they had not
bought before and that exist in the export; NDCG@10, binary gains, ideal DCG over
min(10, |relevant|); customers with >= 1 such item) for H = 30 and 7 days, beside references on
the same customers (each excluding the customer's already-bought items). Writes
SHAPE/score_TAG.json and prints one summary line per shape.

--candidates rewrites [select] candidates into SHAPE/pipeline_TAG.toml and runs that instead
(for a fix that adds a family the shipped list does not name). TAG defaults to BIN's file
name without the "kindred-" prefix.
"""
import os, sys, json, re, time, subprocess, argparse, shutil
import numpy as np, pandas as pd, scipy.sparse as sp

# shapes are written to and read from $SEASONS_DIR (default /tmp/kindred-seasons)
ROOT = os.environ.get("SEASONS_DIR", "/tmp/kindred-seasons")
os.makedirs(ROOT, exist_ok=True)
K = 10
DAY = pd.Timedelta(days=1)
HORIZONS = (30, 7)
NBOOT = 2000
REFS = ['popularity', 'recent_pop_7', 'recent_pop_30', 'recent_pop_120', 'same_weeks_last_year',
        'item_cosine', 'item_cosine_rec30']


# ---------------------------------------------------------------- run
def run(binary, shape, tag, threads, pipeline):
    d = os.path.join(ROOT, shape)
    out = 'out_' + tag
    shutil.rmtree(os.path.join(d, out), ignore_errors=True)  # a fresh folder: no previous choice, no drift gate
    cmd = ['/usr/bin/time', '-v', binary, 'run', pipeline, '--threads', str(threads), '--output', out]
    t = time.time()
    p = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
    wall = time.time() - t
    with open(os.path.join(d, 'run_%s.log' % tag), 'w') as f:
        f.write(p.stderr)
    with open(os.path.join(d, 'run_%s.stdout' % tag), 'w') as f:
        f.write(p.stdout)
    return parse_log(p.stderr, p.returncode, wall)


def parse_log(err, rc=None, wall=None):
    m = re.search(r'Maximum resident set size \(kbytes\): (\d+)', err)
    rss = int(m.group(1)) / 1024 if m else None
    m = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)', err)
    if m:
        parts = [float(x) for x in m.group(1).split(':')]
        el = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    else:
        el = wall
    m = re.search(r'Exit status: (\d+)', err)
    if m:
        rc = int(m.group(1))
    sel = [l for l in err.splitlines() if 'kindred: select:' in l]
    sel_line = sel[-1].split('kindred: select:', 1)[1].strip() if sel else None
    winner = None
    if sel_line:
        m = re.match(r'(.*?): NDCG@K', sel_line)
        winner = m.group(1) if m else sel_line[:80]
    notes = [l.split('kindred: ', 1)[-1] for l in err.splitlines()
             if re.search(r'kindred: (warn|note|error)', l, re.I) and 'never_recommend' not in l]
    return dict(rc=rc, wall_s=el, wall_s_python=wall, peak_rss_mb=rss, select_line=sel_line, winner=winner,
                notes=notes)


# ---------------------------------------------------------------- data and truth
def load_train(shape):
    df = pd.read_csv(os.path.join(ROOT, shape, 'export.csv'), dtype={'StockCode': str, 'Description': str})
    df['InvoiceDate'] = pd.to_datetime(df.InvoiceDate)
    df = df[df.Quantity > 0]
    return df.rename(columns={'CustomerID': 'customer', 'StockCode': 'item', 'InvoiceDate': 'date'})


def truths(tr, fut, cutoff):
    items = set(tr['item'].unique())
    custs = set(tr.customer.unique())
    owned = tr.groupby('customer')['item'].agg(set).to_dict()
    fut = fut[fut.customer.isin(custs) & fut['item'].isin(items)]
    out = {}
    for h in HORIZONS:
        f = fut[fut.date < cutoff + h * DAY]
        t = {}
        for c, g in f.groupby('customer')['item']:
            s = set(g) - owned.get(c, set())
            if s:
                t[c] = s
        out[h] = t
    return out, owned


def ndcg_of(lists, truth):
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    vals = np.empty(len(truth))
    for i, (c, t) in enumerate(truth.items()):
        l = lists.get(c, [])[:K]
        dcg = sum(disc[j] for j, it in enumerate(l) if it in t)
        vals[i] = dcg / disc[:min(K, len(t))].sum()
    return vals


def rank_global(order, owned, custs):
    lists = {}
    for c in custs:
        o = owned.get(c, set())
        l = []
        for it in order:
            if it not in o:
                l.append(it)
                if len(l) == K:
                    break
        lists[c] = l
    return lists


# ---------------------------------------------------------------- references
def by_buyers(df):
    """items by distinct buyers, ties by item id."""
    s = df.groupby('item').customer.nunique().reset_index(name='n')
    return list(s.sort_values(['n', 'item'], ascending=[False, True], kind='stable')['item'])


def ref_lists(tr, owned, custs, cutoff):
    """reference name -> {customer: top-K list}; custs: every customer any horizon scores."""
    res = {}
    pop = by_buyers(tr)
    res['popularity'] = rank_global(pop, owned, custs)
    tmax = tr.date.max()
    last = tr.groupby(['item', 'customer']).date.max().reset_index()
    age = (tmax - last.date).dt.total_seconds() / 86400
    for hl in (7, 30, 120):
        w = last.assign(w=0.5 ** (age / hl)).groupby('item').w.sum().reset_index()
        order = list(w.sort_values(['w', 'item'], ascending=[False, True], kind='stable')['item'])
        res['recent_pop_%d' % hl] = rank_global(order, owned, custs)
    # popularity in the same weeks a year before: buyers in [cutoff-364d, cutoff-364d+30d), then all-time
    a = cutoff - 364 * DAY
    ly = by_buyers(tr[(tr.date >= a) & (tr.date < a + 30 * DAY)])
    res['same_weeks_last_year'] = rank_global(ly + [i for i in pop if i not in set(ly)], owned, custs)
    # item co-purchase cosine (binary customer x item), every co-purchased item votes
    items = pd.Index(sorted(tr['item'].unique()))
    cu = pd.Index(sorted(tr.customer.unique()))
    pairs = tr[['customer', 'item']].drop_duplicates()
    X = sp.csr_matrix((np.ones(len(pairs), np.float32), (cu.get_indexer(pairs.customer), items.get_indexer(pairs['item']))),
                      shape=(len(cu), len(items)))
    C = (X.T @ X).tocsr()
    n = np.asarray(X.sum(0)).ravel()
    C.setdiag(0)
    C.eliminate_zeros()
    inv = 1 / np.sqrt(np.maximum(n, 1))
    S = (sp.diags(inv) @ C @ sp.diags(inv)).tocsr()
    lastp = tr.groupby(['customer', 'item']).date.max().reset_index()
    wv = 0.5 ** ((tmax - lastp.date).dt.total_seconds().values / 86400 / 30)
    Xw = sp.csr_matrix((wv, (cu.get_indexer(lastp.customer), items.get_indexer(lastp['item']))), shape=X.shape)
    rows = cu.get_indexer(custs)
    for nm, M in (('item_cosine', X), ('item_cosine_rec30', Xw)):
        lists = {}
        for b in range(0, len(rows), 2000):
            r = rows[b:b + 2000]
            sc = (M[r] @ S).toarray() + 1e-9 * n / n.max()  # popularity breaks ties / tops up
            sc[X[r].toarray() > 0] = -np.inf
            top = np.argsort(-sc, axis=1, kind='stable')[:, :K]
            for i, c in enumerate(custs[b:b + 2000]):
                lists[c] = list(items[top[i]])
        res[nm] = lists
    return res


def boot_ci(dif, idx):
    if len(dif) == 0:
        return [float('nan'), float('nan')]
    m = dif[idx].mean(1)
    return [float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))]


# ---------------------------------------------------------------- score
def score(shape, tag, runinfo):
    d = os.path.join(ROOT, shape)
    meta = json.load(open(os.path.join(d, 'meta.json')))
    cutoff = pd.Timestamp(meta['cutoff'])
    tr = load_train(shape)
    fut = pd.read_parquet(os.path.join(d, 'future.parquet'))
    tru, owned = truths(tr, fut, cutoff)
    custs = sorted(set().union(*[set(t) for t in tru.values()]))
    refs = ref_lists(tr, owned, custs, cutoff)
    rp = os.path.join(d, 'out_' + tag, 'recommendations.parquet')
    pub, r = None, None
    if os.path.exists(rp):
        r = pd.read_parquet(rp).sort_values(['customer_id', 'rank'])
        r['item_id'] = r['item_id'].astype(str)
        pub = r.groupby('customer_id')['item_id'].agg(list).to_dict()
    out = dict(shape=shape, tag=tag, cutoff=meta['cutoff'], note=meta.get('note'), run=runinfo)
    sp_ = os.path.join(d, 'out_' + tag, 'selection.parquet')
    if os.path.exists(sp_):  # kindred's own window scores of its candidates
        st = pd.read_parquet(sp_)
        out['kindred_selection'] = [dict(candidate=x.candidate, settings=x.settings, ndcg=x.ndcg,
                                         customers=int(x.customers), chosen=bool(x.chosen)) for x in st.itertuples()]
    if r is not None:
        out['published_sources'] = r.source.value_counts().to_dict()
        top = r[r['rank'] <= K]
        out['published_top10_share_by_prefix'] = (top.item_id.str[0].value_counts(normalize=True).round(4).to_dict())
    for h in HORIZONS:
        t = tru[h]
        vals = {nm: ndcg_of(l, t) for nm, l in refs.items()}
        # hindsight: one global list by the items' new buyers in the horizon (not a reference, not a bound)
        fb = pd.Series([it for s in t.values() for it in s]).value_counts()
        fb = fb.reset_index().set_axis(['item', 'n'], axis=1).sort_values(['n', 'item'], ascending=[False, True])
        oracle = ndcg_of(rank_global(list(fb['item']), owned, list(t)), t)
        res = dict(customers=len(t), hindsight_future_pop=float(oracle.mean()) if len(t) else None,
                   relevant_share_by_prefix=pd.Series([it[0] for s in t.values() for it in s]).value_counts(
                       normalize=True).round(4).to_dict())
        for nm in REFS:
            res[nm] = float(vals[nm].mean()) if len(t) else None
        best = max(REFS, key=lambda nm: vals[nm].mean()) if len(t) else None
        res['best_ref'] = best
        if pub is not None and len(t):
            p = ndcg_of(pub, t)
            res['published'] = float(p.mean())
            rng = np.random.default_rng(h)
            idx = rng.integers(0, len(p), (NBOOT, len(p)))
            res['margin_vs_best'] = float((p - vals[best]).mean())
            res['margin_vs_best_95'] = boot_ci(p - vals[best], idx)
            res['margin_vs'] = {nm: dict(mean=float((p - vals[nm]).mean()), ci95=boot_ci(p - vals[nm], idx))
                                for nm in REFS}
        out['h%d' % h] = res
    with open(os.path.join(d, 'score_%s.json' % tag), 'w') as f:
        json.dump(out, f, indent=1, default=str)
    return out


SHORT = [('popularity', 'pop'), ('recent_pop_7', 'rp7'), ('recent_pop_30', 'rp30'), ('recent_pop_120', 'rp120'),
         ('same_weeks_last_year', 'swly'), ('item_cosine', 'cos'), ('item_cosine_rec30', 'cosr30')]


def header():
    cols = ['%-16s' % 'shape', '%-5s' % 'n30/7', '%-11s' % 'published'] + ['%-11s' % s for _, s in SHORT] + \
           ['%-29s' % 'pub-best30 [95%]', '%-29s' % 'pub-best7 [95%]', '%6s' % 'wall', '%6s' % 'rssMB', 'winner']
    return ' '.join(cols) + '\n(cells: NDCG@10 30-day/7-day; best = best reference of that horizon)'


def line(o):
    a, b = o['h30'], o['h7']

    def cell(k):
        x, y = a.get(k), b.get(k)
        return '%-11s' % ('%.3f/%.3f' % (x, y) if x is not None and y is not None else 'NA')

    def marg(h):
        if 'margin_vs_best' not in h:
            return '%-29s' % 'NA'
        lo, hi = h['margin_vs_best_95']
        return '%-29s' % ('%+.3f [%+.3f,%+.3f] %s' % (h['margin_vs_best'], lo, hi,
                                                     dict(SHORT)[h['best_ref']]))
    ri = o['run']
    pre = o.get('published_top10_share_by_prefix', {})
    rel = a.get('relevant_share_by_prefix', {})
    fmt = lambda dct: ','.join('%s:%.2f' % kv for kv in sorted(dct.items()))
    detail = '    hindsight_future_pop %.3f/%.3f | relevant items (30 d) by prefix %s | published top-10 by prefix %s' % (
        a['hindsight_future_pop'] or float('nan'), b['hindsight_future_pop'] or float('nan'), fmt(rel), fmt(pre))
    return ' '.join(['%-16s' % o['shape'], '%-5s' % ('%d/%d' % (a['customers'], b['customers'])), cell('published')] +
                    [cell(k) for k, _ in SHORT] + [marg(a), marg(b),
                                                   '%6.1f' % (ri.get('wall_s') or float('nan')),
                                                   '%6.0f' % (ri.get('peak_rss_mb') or float('nan')),
                                                   'rc=%s %s' % (ri.get('rc'), ri.get('winner'))]) + '\n' + detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('shapes', nargs='+')
    ap.add_argument('--tag')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--candidates', help='comma list written into [select] candidates of pipeline_TAG.toml')
    ap.add_argument('--no-run', action='store_true', help='score the existing out_TAG and run_TAG.log')
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    tag = a.tag or os.path.basename(binary).replace('kindred-', '')
    print(header(), flush=True)
    lines = []
    for shape in a.shapes:
        shape = shape.rstrip('/')
        d = os.path.join(ROOT, shape)
        pipeline = 'pipeline.toml'
        if a.candidates:
            txt = open(os.path.join(d, 'pipeline.toml')).read()
            lst = ', '.join('"%s"' % c.strip() for c in a.candidates.split(','))
            txt = re.sub(r'^candidates = .*$', 'candidates = [%s]' % lst, txt, flags=re.M)
            pipeline = 'pipeline_%s.toml' % tag
            open(os.path.join(d, pipeline), 'w').write(txt)
        if a.no_run:
            ri = parse_log(open(os.path.join(d, 'run_%s.log' % tag)).read())
        else:
            ri = run(binary, shape, tag, a.threads, pipeline)
        ri['binary'] = binary
        ri['pipeline'] = pipeline
        o = score(shape, tag, ri)
        l = line(o)
        lines.append(l)
        print(l, flush=True)
        for n in ri['notes']:
            print('    ', n[:300])
    return lines


if __name__ == '__main__':
    main()
