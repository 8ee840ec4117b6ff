import numpy as np, scipy.sparse as sp
from implicit.nearest_neighbours import bm25_weight, tfidf_weight
from common import pair_matrix, DAY


def weight(s, kind='binary', orient='user'):
    """users x items weighted matrix. orient='user': bm25/tfidf rows=customers (idf over items);
    orient='item': applied to items x users then transposed back (implicit BM25Recommender style)."""
    if kind == 'binary':
        return s.B.copy()
    if kind == 'quantity':
        return pair_matrix(s, s.pq)
    if kind == 'log_quantity':
        return pair_matrix(s, np.log1p(s.pq))
    if kind == 'count':  # number of purchase lines
        return pair_matrix(s, s.pn)
    base = s.B
    f = bm25_weight if kind == 'bm25' else tfidf_weight
    if orient == 'user':
        return sp.csr_matrix(f(base))
    return sp.csr_matrix(f(base.T.tocsr()).T)


def recency(s, half_life):
    if half_life is None:
        return np.ones(len(s.pu))
    return np.power(2.0, -(s.T - s.plast) / (half_life * DAY))


def row_normalize(X):
    X = sp.csr_matrix(X, dtype=np.float64)
    n = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel())
    n[n == 0] = 1
    return sp.diags(1 / n) @ X


def topk_rows(S, k):
    """keep per row top-k by value desc, ties index asc (stable). returns sparse."""
    n = S.shape[0]
    if k >= S.shape[1]:
        return sp.csr_matrix(S)
    order = np.argsort(-S, axis=1, kind='stable')[:, :k]
    vals = np.take_along_axis(S, order, axis=1)
    rows = np.repeat(np.arange(n), k)
    M = sp.csr_matrix((vals.ravel(), (rows, order.ravel())), shape=S.shape)
    M.eliminate_zeros()
    return M


def apply_overlap(S, ov, min_overlap=0, shrink=0.0):
    if min_overlap > 1:
        S = np.where(ov >= min_overlap, S, 0.0)
    if shrink > 0:
        S = S * ov / (ov + shrink)
    return S


def user_knn(s, K=10, wsim='binary', orient='user', wscore=None, half_life=None, min_overlap=0,
             shrink=0.0, alpha=1.0, score_pow=1.0):
    """score(c,i) = sum_{b in topK(c)} sim(c,b)^alpha * w(b,i); w(b,i) = [wscore value] * recency."""
    E = s.eval_users
    if wsim == 'binary':  # exact: overlap / sqrt(n_c * n_b)
        ovb = (s.B[E] @ s.B.T).toarray(); nb = np.asarray(s.B.sum(1)).ravel()
        S = ovb / np.sqrt(nb[E][:, None] * nb[None, :])
    else:
        X = row_normalize(weight(s, wsim, orient))
        S = (X[E] @ X.T).toarray()
    if min_overlap > 1 or shrink > 0:
        ov = (s.B[E] @ s.B.T).toarray()
        S = apply_overlap(S, ov, min_overlap, shrink)
    S[np.arange(len(E)), E] = -np.inf
    S[S <= 0] = 0  # zero-sim neighbours contribute nothing
    N = topk_rows(S, K)
    if alpha != 1.0:
        N.data = N.data ** alpha
    if wscore is None:
        Wv = np.ones(len(s.pu))
    else:
        Wv = weight(s, wscore, orient).tocoo()
        Wv = sp.csr_matrix((Wv.data, (Wv.row, Wv.col)), shape=s.B.shape)[s.pu, s.pi].A1
    Wv = Wv * recency(s, half_life)
    W = pair_matrix(s, Wv)
    return (N @ W).toarray()


def item_sim(s, wsim='binary', orient='user', min_overlap=0, shrink=0.0):
    X = weight(s, wsim, orient).T.tocsr()
    X = row_normalize(X)
    S = (X @ X.T).toarray()
    if min_overlap > 1 or shrink > 0:
        ov = (s.B.T @ s.B).toarray()
        S = apply_overlap(S, ov, min_overlap, shrink)
    np.fill_diagonal(S, 0)
    return S


def item_knn(s, N=None, wsim='binary', orient='user', wscore=None, half_life=None, min_overlap=0,
             shrink=0.0, alpha=1.0, mode='j', S=None):
    """score(c,i) = sum_j w(c,j) sim(i,j)^alpha.
    mode 'j': pair kept if i among j's top-N; mode 'i': if j among i's top-N."""
    if S is None:
        S = item_sim(s, wsim, orient, min_overlap, shrink)
    if N is not None:
        M = topk_rows(S, N)  # row r keeps its top-N
    else:
        M = sp.csr_matrix(S)
    if alpha != 1.0:
        M.data = M.data ** alpha
    # M[j, i] = sim for i in j's topN
    if wscore is None:
        Wv = np.ones(len(s.pu))
    else:
        Wv = weight(s, wscore, orient).tocsr()[s.pu, s.pi].A1
    Wv = Wv * recency(s, half_life)
    Wc = pair_matrix(s, Wv)[s.eval_users]
    if mode == 'j':
        return (Wc @ M).toarray()
    return (Wc @ M.T).toarray()


def sar(s, half_life=14.0, sim='jaccard', threshold=1):
    C = (s.B.T @ s.B).toarray()
    if threshold > 1:
        C[C < threshold] = 0
    d = np.diag(C).copy()
    if sim == 'jaccard':
        den = d[:, None] + d[None, :] - C
        S = np.divide(C, den, out=np.zeros_like(C), where=den > 0)
    elif sim == 'lift':
        den = d[:, None] * d[None, :]
        S = np.divide(C, den, out=np.zeros_like(C), where=den > 0)
    else:
        S = C
    w = np.power(2.0, -(s.T - s.ev_t) / (half_life * DAY))
    A = sp.csr_matrix((w, (s.ev_u, s.ev_i)), shape=s.B.shape)  # duplicates summed
    return (A[s.eval_users] @ S)


def als(s, factors=64, iterations=15, weighting='binary', seed=42, **kw):
    from implicit.als import AlternatingLeastSquares
    import threadpoolctl
    if weighting == 'binary':
        X = s.B.copy()
    else:
        X = sp.csr_matrix(bm25_weight(s.B, K1=100, B=0.8))
    m = AlternatingLeastSquares(factors=factors, iterations=iterations, random_state=seed,
                                num_threads=1, calculate_training_loss=False, **kw)
    with threadpoolctl.threadpool_limits(1):
        m.fit(X.tocsr().astype(np.float32), show_progress=False)
    U = np.asarray(m.user_factors); V = np.asarray(m.item_factors)
    sc = U[s.eval_users].astype(np.float64) @ V.T.astype(np.float64)
    # ALS scores every item; shift so all are > 0 ('scored'), keeping order
    return sc - sc.min() + 1e-6


def pop(s):
    return np.zeros((len(s.eval_users), s.ni))
