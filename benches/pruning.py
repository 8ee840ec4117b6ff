"""What candidate pruning would cost: exact top-20 cosine neighbours vs those found when pairs
are only generated through items outside the most popular share (the heavy hitters whose
buyer lists carry most of the all-pairs work, Σ buyers²). Prints, per share dropped, the work
left and the recall of the exact top-20 (ties at the 20th similarity count as found).

    python benches/pruning.py data/online_retail.csv.gz
    python benches/pruning.py /tmp/syn50k.parquet       # kindred generate /tmp/syn50k.parquet 50000 10000 20

Needs numpy, scipy, pandas (pip install numpy scipy pandas pyarrow)."""
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp

K = 20


def matrix(path):
    if path.endswith(".parquet"):
        df = pd.read_parquet(path, columns=["CustomerID", "StockCode", "Quantity"])
    else:
        df = pd.read_csv(path, usecols=["CustomerID", "StockCode", "Quantity"], dtype={"StockCode": str})
    df = df[(df.Quantity >= 1) & df.CustomerID.notna()]
    c = df.CustomerID.astype("category").cat.codes.to_numpy()
    i = df.StockCode.astype(str).astype("category").cat.codes.to_numpy()
    m = sp.csr_matrix((np.ones(len(c), dtype=np.float64), (c, i)))
    m.data[:] = 1.0
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def topk(sim, k, selves):
    """Per row: the k-th best similarity (0 when fewer) and the set of the best k columns
    (the row's own customer, `selves[row]`, left out)."""
    kth, best = [], []
    for r in range(sim.shape[0]):
        row = sim.getrow(r)
        idx, val = row.indices, row.data
        mask = idx != selves[r]
        idx, val = idx[mask], val[mask]
        if len(val) == 0:
            kth.append(0.0)
            best.append(set())
            continue
        order = np.lexsort((idx, -val))[:k]
        kth.append(val[order[-1]] if len(order) == k else 0.0)
        best.append(set(idx[order]))
    return np.array(kth), best


def main(path):
    m = matrix(path)
    n = m.shape[0]
    sample = np.random.default_rng(7).choice(n, size=min(n, 3000), replace=False)
    deg = np.asarray(m.sum(axis=1)).ravel()
    inv = sp.diags(1.0 / np.sqrt(np.maximum(deg, 1))).tocsr()
    buyers = np.asarray(m.sum(axis=0)).ravel()
    work = (buyers ** 2).sum()
    exact = (inv[sample] @ m) @ (m.T @ inv)
    exact = sp.csr_matrix(exact)
    kth, best = topk(exact, K, sample)
    print(f"{path}: {n} customers x {m.shape[1]} items, {m.nnz} pairs; exact top-{K} on {len(sample)} sampled customers")
    print("items dropped as candidate generators | work left | recall of the exact top-20")
    for share in [0.0, 0.001, 0.01, 0.05]:
        drop = np.argsort(-buyers)[: int(round(share * m.shape[1]))]
        keep = np.ones(m.shape[1], dtype=bool)
        keep[drop] = False
        g = m[:, keep]
        # candidates: customers sharing a kept item; their similarity is still the exact cosine
        cand = sp.csr_matrix((g[sample] @ g.T) > 0)
        approx = exact.multiply(cand).tocsr()
        _, found = topk(approx, K, sample)
        # a found neighbour counts when its exact similarity reaches the exact k-th
        hits, total = 0, 0
        for r in range(len(sample)):
            row = exact.getrow(r)
            sims = dict(zip(row.indices, row.data))
            total += len(best[r])
            hits += sum(1 for j in found[r] if j != sample[r] and sims.get(j, 0) >= kth[r] - 1e-12)
        left = (buyers[keep] ** 2).sum() / work
        print(f"top {share:6.1%} ({len(drop):5d} items) | {left:6.1%} | {hits / max(total, 1):6.1%}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/online_retail.csv.gz")
