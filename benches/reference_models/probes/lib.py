"""Twins of kindred's EASE (plain and the shipped candidate) on `kindred evaluate`'s protocol,
with the export's extra columns (invoice, price, country, description) per (customer, item) pair.

split(end, cut): train = cleaned rows dated before `cut`, test = new items in [cut, end).
The test split uses end = +inf; the validation split of a cutoff C uses cut = newest train
purchase before C minus 30 days and end = C (kindred's window, README "Model selection").
"""
import os, re, sys
from functools import lru_cache
import numpy as np, pandas as pd, scipy.sparse as sp, scipy.linalg as sla

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402
from common import rank_and_eval  # noqa: E402

PATH = os.environ.get('KINDRED_EXPORT', os.path.join(HERE, '..', '..', '..', 'data', 'online_retail.csv.gz'))
DAY = 86400.0
common.NEVER_RECOMMEND = ["POST", "DOT", "M", "C2", "BANK CHARGES"]


@lru_cache(None)
def clean():
    cache = os.path.join(HERE, 'clean.parquet')
    if os.path.exists(cache):
        return pd.read_parquet(cache)
    df = pd.read_csv(PATH, dtype={'InvoiceNo': str, 'StockCode': str, 'Description': str, 'Country': str},
                     parse_dates=['InvoiceDate'])
    df = df[df.Quantity.notna() & (df.Quantity >= 1) & df.CustomerID.notna() & df.StockCode.notna()].copy()
    df['cust'] = df.CustomerID.astype('int64')
    df['item'] = df.StockCode.astype(str).str.strip()
    df['t'] = df.InvoiceDate.astype('datetime64[s]').astype('int64').astype(np.float64)
    df = df.rename(columns={'InvoiceNo': 'inv', 'Quantity': 'q', 'UnitPrice': 'price', 'Country': 'country',
                            'Description': 'desc'})
    df = df[['cust', 'item', 'q', 't', 'inv', 'price', 'country', 'desc']].reset_index(drop=True)
    df.to_parquet(cache)
    return df


class S:
    pass


@lru_cache(None)
def split(cut, end=None):
    """cut, end: 'YYYY-MM-DD' strings or epoch seconds (float)."""
    df = clean()
    ts = lambda d: float(pd.Timestamp(d).value // 10**9) if isinstance(d, str) else d
    c = ts(cut)
    tr = df[df.t < c]
    te = df[df.t >= c]
    if end is not None:
        te = te[te.t < ts(end)]
    s = S()
    s.custs = np.array(sorted(tr.cust.unique()))
    s.items = np.array(sorted(tr.item.unique(), key=lambda x: x.encode()))
    cidx = {v: i for i, v in enumerate(s.custs)}
    iidx = {v: i for i, v in enumerate(s.items)}
    s.nu, s.ni = len(s.custs), len(s.items)
    tr = tr.assign(u=tr.cust.map(cidx).values, i=tr.item.map(iidx).values)
    s.tr = tr
    s.T = tr.t.max()
    a = tr.groupby(['u', 'i']).agg(q=('q', 'sum'), last=('t', 'max'), first=('t', 'min'), n=('q', 'size'),
                                   ninv=('inv', 'nunique'), price=('price', 'median'),
                                   qline=('q', 'median')).reset_index()
    s.pu, s.pi = a.u.values, a.i.values
    s.pq, s.plast, s.pfirst, s.pn, s.pinv = a.q.values.astype(float), a['last'].values, a['first'].values, \
        a.n.values.astype(float), a.ninv.values.astype(float)
    s.pprice, s.pqline = a.price.values.astype(float), a.qline.values.astype(float)
    s.B = sp.csr_matrix((np.ones(len(a)), (s.pu, s.pi)), shape=(s.nu, s.ni))
    common.popularity(s)
    common.held_new(s, te, cidx, iidx)
    return s


def val_split(cutoff, days=30):
    c = float(pd.Timestamp(cutoff).value // 10**9)
    df = clean()
    newest = df.t[df.t < c].max()
    return split(newest - days * DAY, c)


def test_split(cutoff):
    return split(cutoff)


def pm(s, vals):
    return sp.csr_matrix((vals, (s.pu, s.pi)), shape=(s.nu, s.ni))


def recency(s, hl=90.0):
    return np.power(2.0, -(s.T - s.plast) / (hl * DAY))


def ease_W(X, lam, G=None):
    if G is None:
        G = (X.T @ X).toarray()
    G = G.copy()
    G[np.diag_indices_from(G)] += lam
    P = sla.inv(G, overwrite_a=True, check_finite=False)
    W = -P / np.diag(P)[None, :]  # W[j, i] = -P[j,i]/P[i,i]
    np.fill_diagonal(W, 0.0)
    return W


def plain_X(s, hl=90.0):
    return pm(s, recency(s, hl))


# ---------------------------------------------------------------- the shipped candidate's parts
def words(text):
    return sorted(set(w for w in re.split(r'[^A-Z]', str(text).upper()) if len(w) >= 2))


def text_sim(s):
    """Description similarity as src/similarity/text.rs: squared cosine of idf vectors."""
    d = s.tr.groupby(['i', 'desc']).size().reset_index(name='n')
    d = d.sort_values(['i', 'n', 'desc'], ascending=[True, False, True]).drop_duplicates('i')
    desc = dict(zip(d.i, d.desc))
    ws = [words(desc.get(i, '')) for i in range(s.ni)]
    df = {}
    for w in ws:
        for x in w:
            df[x] = df.get(x, 0) + 1
    n = s.ni
    vocab = sorted(w for w, k in df.items() if k >= 2 and 2 * k <= n)
    vid = {w: k for k, w in enumerate(vocab)}
    rows, cols, vals = [], [], []
    for i, w in enumerate(ws):
        for x in w:
            if x in vid:
                rows.append(i); cols.append(vid[x]); vals.append(np.log(n / df[x]))
    V = sp.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)))
    nr = np.sqrt(np.asarray(V.multiply(V).sum(1)).ravel()); nr[nr == 0] = 1
    V = sp.diags(1 / nr) @ V
    C = (V @ V.T).toarray() ** 2
    np.fill_diagonal(C, 0.0)
    return C


def prior(s, E, pop_exp=-0.1, last_exp=-0.25, expo_exp=-0.5, opp_exp=-0.25):
    """recommend.rs Prior: factor matrix (len(E) × items)."""
    tr = s.tr
    newest = tr.t.max()
    ifirst = tr.groupby('i').t.min().reindex(range(s.ni)).values
    ilast = tr.groupby('i').t.max().reindex(range(s.ni)).values
    term = lambda d, e: (d + 7.0) ** e
    item = s.buyers ** pop_exp * term((newest - ilast) / DAY, last_exp)
    iage = (newest - ifirst) / DAY
    dates = tr.groupby('u').t.apply(lambda x: np.unique(x.values))
    F = np.empty((len(E), s.ni))
    for r, u in enumerate(E):
        dt = dates[u]
        cage = (newest - dt[0]) / DAY
        fresh = np.where(iage <= cage, term(iage, expo_exp), term(cage, expo_exp))
        k = len(dt) - np.searchsorted(dt, ifirst, side='left')
        F[r] = item * fresh * (k + 2.0) ** opp_exp
    return F


def blend(s, E, ease_scores, T, w=0.25):
    """text.rs Blend: (1-w) ease+/best + w text+/best, bests over the customer's unbought items."""
    seen = s.B[E].toarray() > 0
    tx = (s.B[E] @ T) if T is not None else None
    def best(v):
        m = np.where(seen, 0.0, np.maximum(v, 0)).max(1, keepdims=True)
        m[m <= 0] = 1.0
        return m
    out = (1 - w) * np.maximum(ease_scores, 0) / best(ease_scores)
    out += w * np.maximum(tx, 0) / best(tx)
    return out


def shipped(s, E, ease_scores, T, F):
    """The shipped candidate's score from EASE's raw scores: blend, then the prior (candidates: > 0)."""
    sc = blend(s, E, ease_scores, T) if T is not None else np.where(ease_scores > 0, ease_scores, 0)
    return sc * F if F is not None else sc


def user_knn50(s):
    E = s.eval_users
    ov = (s.B[E] @ s.B.T).toarray(); nb = np.asarray(s.B.sum(1)).ravel()
    S = ov / np.sqrt(nb[E][:, None] * nb[None, :])
    S[np.arange(len(E)), E] = -np.inf
    S[S <= 0] = 0
    order = np.argsort(-S, axis=1, kind='stable')[:, :50]
    vals = np.take_along_axis(S, order, axis=1)
    N = sp.csr_matrix((vals.ravel(), (np.repeat(np.arange(len(E)), 50), order.ravel())), shape=(len(E), s.nu))
    return (N @ s.B).toarray()


def ev(s, scores):
    return rank_and_eval(s, scores)


def bootstrap(a, b, rounds=2000, seed=7):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(rounds, len(a)))
    r = a[idx].mean(1) / b[idx].mean(1) - 1
    return np.percentile(r, [2.5, 97.5])
