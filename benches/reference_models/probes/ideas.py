"""The probe's ideas, each a grid of settings. Every setting yields raw EASE-like scores (or a
multiplier on the base EASE scores); run.py scores each both alone ("plain") and as the shipped
candidate (description blend 0.25 + exposure prior on top), on the window and on the test.

A setting is (name, fn) where fn(ctx) -> (raw_scores, multiplier or None).
ctx: s (split), E (eval users), base (plain EASE raw scores), W0 (plain EASE weights).
"""
import numpy as np, scipy.sparse as sp
from lib import pm, recency, ease_W, DAY

LAM = 350.0
import os
LATE = os.environ.get('LATE') == '1'


def _lam(s, X):
    """λ rescaled so that λ / mean diag(G) is the plain recency-binary Gram's."""
    g0 = np.asarray(pm(s, recency(s) ** 2).sum(0)).ravel().mean()
    g = np.asarray(X.multiply(X).sum(0)).ravel().mean()
    return LAM * g / g0


def bm25(X, K1=100.0, B=0.8):
    """implicit.nearest_neighbours.bm25_weight on the rows of X (rows = documents)."""
    X = sp.coo_matrix(X)
    N = float(X.shape[0])
    idf = np.log(N) - np.log1p(np.bincount(X.col, minlength=X.shape[1]))
    rs = np.ravel(X.sum(axis=1)); avg = rs.mean()
    ln = (1.0 - B) + B * rs / avg
    d = X.data * (K1 + 1.0) / (K1 * ln[X.row] + X.data) * idf[X.col]
    return sp.csr_matrix((d, (X.row, X.col)), shape=X.shape)


def tfidf(X):
    X = sp.coo_matrix(X)
    N = float(X.shape[0])
    idf = np.log(N) - np.log1p(np.bincount(X.col, minlength=X.shape[1]))
    return sp.csr_matrix((np.sqrt(X.data) * idf[X.col], (X.row, X.col)), shape=X.shape)


# ------------------------------------------------------------------ 1. cell values
def cell_values():
    def vals(s, kind):
        return {'binary': np.ones(len(s.pu)), 'log1p_inv': np.log1p(s.pinv), 'sqrt_inv': np.sqrt(s.pinv),
                'log1p_qty': np.log1p(s.pq)}[kind]

    def gram_fn(kind, profile):
        def f(c):
            s = c['s']
            if ('W', kind) in c:
                W = c[('W', kind)]
                return np.asarray(pm(s, vals(s, profile))[c['E']] @ W), None
            if kind in ('binary', 'log1p_inv', 'sqrt_inv', 'log1p_qty'):
                X = pm(s, vals(s, kind) * recency(s))
            elif kind.startswith('bm25') or kind.startswith('tfidf'):
                base, orient = kind.split(':')[1], kind.split(':')[2]
                R = pm(s, vals(s, base))
                Wt = bm25 if kind.startswith('bm25') else tfidf
                R = Wt(R) if orient == 'user' else Wt(R.T.tocsr()).T.tocsr()
                R = sp.csr_matrix(R)
                X = pm(s, np.asarray(R[s.pu, s.pi]).ravel() * recency(s))
            W = c['W0'] if kind == 'binary' else ease_W(X, _lam(s, X))
            c[('W', kind)] = W
            prof = pm(s, vals(s, profile))[c['E']]
            return np.asarray(prof @ W), None
        return f

    out = []
    kinds = ['binary', 'log1p_inv', 'sqrt_inv', 'log1p_qty', 'bm25:binary:user', 'bm25:log1p_inv:user',
             'bm25:binary:item', 'bm25:log1p_inv:item', 'tfidf:binary:user', 'tfidf:log1p_inv:user']
    if LATE:  # Jun/Sep/Nov (time): the kinds some window chose at Feb–Apr, and their neighbours
        kinds = ['binary', 'log1p_inv', 'sqrt_inv', 'bm25:log1p_inv:user', 'tfidf:log1p_inv:user']
    for kind in kinds:
        for profile in ['binary', 'log1p_inv', 'sqrt_inv']:
            out.append((f'gram={kind} profile={profile}', gram_fn(kind, profile)))
    return out


# ------------------------------------------------------------------ 3. price / volume affinity
def _cust_item_logs(s, col):
    """customer's and item's median log of col over their lines."""
    tr = s.tr
    v = np.log(np.maximum(tr[col].values.astype(float), 0.01))
    cu = tr.assign(v=v).groupby('u').v.median().reindex(range(s.nu)).values
    it = tr.assign(v=v).groupby('i').v.median().reindex(range(s.ni)).values
    return cu, it


def group_lift(s, group, n_groups, m):
    """Each group's lift of each item: the share of the group's customers who bought it,
    smoothed towards the whole shop's share with m pseudo-customers, over the shop's share."""
    p = s.buyers / s.nu
    L = np.empty((n_groups, s.ni))
    for k in range(n_groups):
        rows = group == k
        n = np.asarray(s.B[rows].sum(0)).ravel()
        L[k] = ((n + m * p) / (rows.sum() + m)) / np.maximum(p, 1e-12)
    return L


def price_volume():
    def kernel(col, sigma):
        def f(c):
            s, E = c['s'], c['E']
            cu, it = _cust_item_logs(s, col)
            d = it[None, :] - cu[E][:, None]
            return c['base'], np.exp(-0.5 * (d / sigma) ** 2)
        return f

    def band_lift(col, nb, eta, m=20.0):
        """item's buyers within the customer's band (quantiles of the customer's median) vs all."""
        def f(c):
            s, E = c['s'], c['E']
            cu, _ = _cust_item_logs(s, col)
            qs = np.quantile(cu, np.linspace(0, 1, nb + 1)[1:-1])
            band = np.searchsorted(qs, cu)
            return c['base'], group_lift(s, band, nb, m)[band[E]] ** eta
        return f

    out = [('off', lambda c: (c['base'], None))]
    for col in ['price', 'q']:
        for sg in [0.5, 1.0, 2.0]:
            out.append((f'kernel {col} sigma={sg}', kernel(col, sg)))
        for nb in [3, 5]:
            for eta in [0.25, 0.5, 1.0]:
                out.append((f'band {col} bands={nb} eta={eta}', band_lift(col, nb, eta)))
    return out


# ------------------------------------------------------------------ 4. country
def _country(s):
    cc = s.tr.groupby('u').country.agg(lambda x: x.value_counts().index[0]).reindex(range(s.nu)).values
    return cc


def country():
    def lift(m, eta):
        def f(c):
            s, E = c['s'], c['E']
            cc = _country(s)
            names, inv = np.unique(cc, return_inverse=True)
            return c['base'], group_lift(s, inv, len(names), m)[inv[E]] ** eta
        return f

    def group_gram(rho):
        """Gram = global + rho × the customer's group's own (UK / not UK), one EASE per group."""
        def f(c):
            s, E = c['s'], c['E']
            uk = _country(s) == 'United Kingdom'
            X = pm(s, recency(s))
            G = (X.T @ X).toarray()
            raw = np.empty((len(E), s.ni))
            prof = s.B[E]
            for g in (True, False):
                Xg = X[uk == g]
                Gg = G + rho * (Xg.T @ Xg).toarray()
                W = ease_W(None, LAM * (1 + rho * (uk == g).mean()), G=Gg)
                rows = uk[E] == g
                raw[rows] = np.asarray(prof[rows] @ W)
            return raw, None
        return f

    out = [('off', lambda c: (c['base'], None))]
    for m in [10.0, 100.0]:
        for eta in [0.25, 0.5, 1.0]:
            out.append((f'lift m={m:g} eta={eta}', lift(m, eta)))
    for rho in ([] if LATE else [0.5, 1.0, 3.0]):
        out.append((f'group gram UK/non-UK rho={rho}', group_gram(rho)))
    return out


# ------------------------------------------------------------------ 5. cohort popularity lift
def cohort():
    def lift(m, eta, days):
        def f(c):
            s, E = c['s'], c['E']
            first = s.tr.groupby('u').t.min().reindex(range(s.nu)).values
            # cohorts: customers whose first purchase is within `days` of each other (calendar bins)
            coh = np.floor(first / (days * DAY)).astype(np.int64)
            names, inv = np.unique(coh, return_inverse=True)
            return c['base'], group_lift(s, inv, len(names), m)[inv[E]] ** eta
        return f
    out = [('off', lambda c: (c['base'], None))]
    for days in [30.0, 91.0]:
        for eta in [0.25, 0.5, 1.0]:
            out.append((f'cohort lift bin={days:g}d m=50 eta={eta}', lift(50.0, eta, days)))
    return out


IDEAS = {'cells': cell_values, 'price_volume': price_volume, 'country': country, 'cohort': cohort}


# ------------------------------------------------------------------ 5b. higher-order EASE
def higher_order():
    """Steck & Liang 2021 ("don't go deeper, go higher"): the K most co-bought item pairs as extra
    input columns (a customer has pair (r, s) when they bought both), each item predicted from the
    items and the pairs, a pair never voting for either of its own items. Solved exactly per
    item: w = u − P[:, S] P[S, S]⁻¹ u_S, u = e_i − λ_i P[:, i], S = {i} ∪ {pairs holding i}."""
    def f_of(K, lam_pair):
        def f(c):
            s, E = c['s'], c['E']
            X = pm(s, recency(s)).tocsc()
            Bb = s.B.tocsc()
            C = (Bb.T @ Bb).toarray(); np.fill_diagonal(C, 0)
            iu = np.triu_indices(s.ni, 1)
            cnt = C[iu]
            top = np.argsort(-cnt, kind='stable')[:K]
            r, q = iu[0][top], iu[1][top]
            Zb = Bb[:, r].multiply(Bb[:, q])
            Z = sp.csc_matrix(Zb.multiply(np.sqrt(X[:, r].multiply(X[:, q]).toarray())))
            A = sp.hstack([X, Z]).tocsc()
            G = (A.T @ A).toarray()
            lam = np.r_[np.full(s.ni, LAM), np.full(K, lam_pair)]
            G[np.diag_indices_from(G)] += lam
            P = np.linalg.inv(G)
            n = s.ni + K
            Wt = np.zeros((n, s.ni))
            holds = [[] for _ in range(s.ni)]
            for k in range(K):
                holds[r[k]].append(s.ni + k); holds[q[k]].append(s.ni + k)
            for i in range(s.ni):
                S = np.array([i] + holds[i])
                u = -lam[i] * P[:, i]; u[i] += 1.0
                w = u - P[:, S] @ np.linalg.solve(P[np.ix_(S, S)], u[S])
                w[S] = 0.0
                Wt[:, i] = w
            prof = sp.hstack([s.B[E], Zb.tocsr()[E]]).tocsr()
            return np.asarray(prof @ Wt), None
        return f
    out = [('off', lambda c: (c['base'], None))]
    for K, lp in [(1000, 350.0), (3000, 350.0), (1000, 1500.0)]:
        out.append((f'pairs K={K} lambda_pair={lp:g}', f_of(K, lp)))
    return out


IDEAS['higher_order'] = higher_order


# ------------------------------------------------------------------ 2'. customer weights by volume
def cust_weight():
    """Each customer's row of X × v^(−γ/2) (the Gram's × v^−γ), v = the customer's total quantity
    (wholesale volume) or number of invoices. (v = |items| is DAN's β, tried in Rust: not here.)"""
    def f_of(by, g):
        def f(c):
            s, E = c['s'], c['E']
            tr = s.tr
            v = (tr.groupby('u').q.sum() if by == 'quantity' else tr.groupby('u').inv.nunique()).reindex(range(s.nu)).values.astype(float)
            X = sp.diags(v ** (-g / 2)) @ pm(s, recency(s))
            W = ease_W(X, _lam(s, X))
            return np.asarray(s.B[E] @ W), None
        return f
    out = [('off', lambda c: (c['base'], None))]
    for by in ['quantity', 'invoices']:
        for g in [0.25, 0.5]:
            out.append((f'rows x {by}^-{g}', f_of(by, g)))
    return out


IDEAS['cust_weight'] = cust_weight


# ------------------------------------------------------------------ 1b. the scoring profile alone
def profile():
    """Plain EASE's weights; the customer's votes weighted by idf / BM25 / invoices instead of 1."""
    def f_of(kind):
        def f(c):
            s, E = c['s'], c['E']
            idf = np.log(s.nu) - np.log1p(s.buyers)
            v = {'idf': idf[s.pi], 'log1p_inv*idf': np.log1p(s.pinv) * idf[s.pi]}.get(kind)
            if kind.startswith('bm25'):
                R = bm25(pm(s, np.log1p(s.pinv) if 'inv' in kind else np.ones(len(s.pu))))
                v = np.asarray(R[s.pu, s.pi]).ravel()
            return np.asarray(pm(s, v)[E] @ c['W0']), None
        return f
    out = [('off', lambda c: (c['base'], None))]
    for k in ['idf', 'log1p_inv*idf', 'bm25', 'bm25 log1p_inv']:
        out.append((f'profile={k}', f_of(k)))
    return out


IDEAS['profile'] = profile
