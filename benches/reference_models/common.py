"""The evaluation protocol of `kindred evaluate`, in pandas/scipy, for the reference models.

Reads the export shipped in data/ (or $KINDRED_EXPORT): cleaning, temporal split, test sets,
ranking with popularity top-up and the metrics exactly as the README's Evaluation section.
"""
import os
import numpy as np, pandas as pd, scipy.sparse as sp
from functools import lru_cache

PATH = os.environ.get('KINDRED_EXPORT', os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'online_retail.csv.gz'))
CUTOFFS = ['2011-05-09', '2011-06-09', '2011-07-09', '2011-08-09', '2011-09-09', '2011-10-09', '2011-11-09']
DAY = 86400.0
# `[recommend] never_recommend` of the pipeline scored (ids or `*` patterns), which the reference
# models obey as kindred's own models and `kindred evaluate`'s baselines do: those items are put in
# no reference's list (their slots go to the next items). Set by margins.py and shops.py from the
# pipeline; empty with their --references-unrestricted (the protocol before session 36).
NEVER_RECOMMEND = []


def never_recommend_of(pipeline):
    """The `[recommend] never_recommend` entries of the pipeline file `pipeline`."""
    import tomllib
    with open(pipeline, 'rb') as f:
        return list(tomllib.load(f).get('recommend', {}).get('never_recommend', []))


def item_matches(pattern, item):
    """kindred's rule (src/config.rs item_matches): the id itself, or `*` for any run of characters."""
    if '*' not in pattern:
        return item == pattern
    import re
    return re.fullmatch('.*'.join(map(re.escape, pattern.split('*'))), item, re.S) is not None


@lru_cache(None)
def clean():
    cols = ['StockCode', 'Quantity', 'InvoiceDate', 'CustomerID']
    if PATH.endswith('.parquet'):
        df = pd.read_parquet(PATH, columns=cols)
    else:
        df = pd.read_csv(PATH, usecols=cols, dtype={'StockCode': str}, parse_dates=['InvoiceDate'])
    df = df[df.Quantity.notna() & (df.Quantity >= 1) & df.CustomerID.notna() & df.StockCode.notna()].copy()
    df['cust'] = df.CustomerID.astype('int64')
    df['item'] = df.StockCode.astype(str).str.strip()  # kindred trims ids (README, Columns)
    df['t'] = df.InvoiceDate.astype('datetime64[s]').astype('int64').astype(np.float64)
    return df[['cust', 'item', 'Quantity', 't']].reset_index(drop=True)


class Split:
    pass


def popularity(s):
    """The items by distinct buyers (desc, then item id asc): s.buyers, s.pop_order, s.pop_rank."""
    s.buyers = np.asarray(s.B.sum(0)).ravel()
    s.pop_order = np.lexsort((np.arange(s.ni), -s.buyers))
    s.pop_rank = np.empty(s.ni, int); s.pop_rank[s.pop_order] = np.arange(s.ni)


def held_new(s, te, cidx, iidx):
    """The test rows' items each customer of the training rows had not bought (s.Test, one row a
    customer of s.eval_users: those with any)."""
    te = te[te.cust.isin(cidx) & te.item.isin(iidx)]
    tu = te.cust.map(cidx).values; ti = te.item.map(iidx).values
    T = sp.csr_matrix((np.ones(len(tu)), (tu, ti)), shape=(s.nu, s.ni))
    T.data[:] = 1
    T = T - T.multiply(s.B)
    T.eliminate_zeros()
    T = (T > 0).astype(float).tocsr()
    s.eval_users = np.where(np.diff(T.indptr) > 0)[0]
    s.Test = T[s.eval_users]


@lru_cache(None)
def split(cutoff):
    df = clean()
    c = float(pd.Timestamp(cutoff).value // 10**9)
    tr = df[df.t < c]
    te = df[df.t >= c]
    s = Split()
    s.cutoff = cutoff
    s.custs = np.array(sorted(tr.cust.unique()))          # numeric order
    s.items = np.array(sorted(tr.item.unique(), key=lambda x: x.encode()))  # byte order
    cidx = {v: i for i, v in enumerate(s.custs)}
    iidx = {v: i for i, v in enumerate(s.items)}
    s.nu, s.ni = len(s.custs), len(s.items)
    u = tr.cust.map(cidx).values; i = tr.item.map(iidx).values
    s.T = tr.t.max()
    s.ev_u, s.ev_i, s.ev_t, s.ev_q = u, i, tr.t.values, tr.Quantity.values.astype(float)
    g = pd.DataFrame({'u': u, 'i': i, 'q': tr.Quantity.values.astype(float), 't': tr.t.values})
    a = g.groupby(['u', 'i']).agg(q=('q', 'sum'), last=('t', 'max'), first=('t', 'min'), n=('q', 'size')).reset_index()
    s.pu, s.pi = a.u.values, a.i.values
    s.pq, s.plast, s.pfirst, s.pn = a.q.values, a.last.values, a.first.values, a.n.values.astype(float)
    s.B = sp.csr_matrix((np.ones(len(a)), (s.pu, s.pi)), shape=(s.nu, s.ni))
    popularity(s)
    held_new(s, te, cidx, iidx)
    return s


def pair_matrix(s, vals):
    return sp.csr_matrix((vals, (s.pu, s.pi)), shape=(s.nu, s.ni))


def rank_and_eval(s, scores, k=10):
    """scores: dense (n_eval x ni) for s.eval_users. items with score>0 are 'scored'.
    Seen excluded; top-up by popularity. Returns dict."""
    scores = np.asarray(scores, dtype=np.float64)
    val = np.where(scores > 0, scores, -(s.pop_rank[None, :] + 1.0))
    seen = s.B[s.eval_users].toarray() > 0
    val[seen] = -np.inf
    withheld = [n for n, item in enumerate(s.items) if any(item_matches(p, item) for p in NEVER_RECOMMEND)]
    val[:, withheld] = -np.inf
    # top-k by val desc, ties by index asc
    order = np.argsort(-val, axis=1, kind='stable')[:, :k]
    Tt = s.Test.toarray() > 0
    hits = np.take_along_axis(Tt, order, axis=1)
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * disc).sum(1)
    nt = Tt.sum(1)
    idcg = np.array([disc[:min(k, n)].sum() for n in nt])
    each = dcg / idcg
    ndcg = each.mean()
    prec = hits.sum(1).mean() / k
    cov = len(np.unique(order)) / s.ni
    return dict(ndcg=ndcg, prec=prec, cov=cov, n=len(s.eval_users), each=each)


def fmt(r):
    return f"{r['ndcg']:.4f}/{r['prec']:.4f}/{r['cov']:.4f}"
