"""python report.py IDEA ...: per cutoff, the setting chosen on the window (best NDCG@10 there) alone
and as the shipped candidate, its test NDCG@10, gains over plain EASE and the shipped default."""
import sys, pickle, os
import numpy as np
from lib import bootstrap
CUTS = ['2011-02-09', '2011-03-09', '2011-04-09', '2011-06-09', '2011-09-09', '2011-11-09']
SHIPPED = dict(zip(CUTS, [0.2354, 0.2229, 0.2006, 0.2071, 0.1406, 0.1497]))
BASE = {'cells': 'gram=binary profile=binary'}

def load(name, cut, part):
    p = f'res/{name}_{cut}_{part}.pkl'
    return pickle.load(open(p, 'rb')) if os.path.exists(p) else None

if __name__ == '__main__':
    for name in sys.argv[1:]:
        base = BASE.get(name, 'off')
        print(f'\n## {name}\n')
        print('| cutoff | as | chosen on the window | window gain | test NDCG@10 | vs plain EASE | vs shipped default | best on test (oracle) |')
        print('|---|---|---|---|---|---|---|---|')
        for cut in CUTS:
            v, t = load(name, cut, 'val'), load(name, cut, 'test')
            if v is None or t is None:
                continue
            for mode in (('shipped',) if name in ('knobs', 'combo') else ('plain', 'shipped')):
                ch = max(v, key=lambda k: (v[k][mode], k == base))
                wg = v[ch][mode] / v[base][mode] - 1
                x = t[ch][mode]
                orc = max(t, key=lambda k: t[k][mode])
                lo, hi = bootstrap(t[ch]['each_' + mode].astype(float), t[base]['each_plain'].astype(float)) if ch != base else (0, 0)
                vs_ship = x / SHIPPED[cut] - 1
                print(f"| {cut} | {mode} | {ch} | {wg*100:+.1f}% | {x:.4f} | {(x / t[base]['plain'] - 1)*100:+.1f}% "
                      f"| {vs_ship*100:+.1f}% | {orc} {t[orc][mode]:.4f} ({(t[orc][mode]/t[base][mode]-1)*100:+.1f}% over its base) |")
