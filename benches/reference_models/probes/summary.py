"""One row per idea × mode: the test NDCG@10 of the window's choice at each cutoff, its gain over plain
EASE (the twin, λ 350, half-life 90) and over the shipped default (README); chosen settings below."""
import pickle, os, sys
import numpy as np
from report import CUTS, SHIPPED, BASE, load
from lib import bootstrap
IDEAS = sys.argv[1:] or ['cells', 'profile', 'cust_weight', 'price_volume', 'country', 'cohort', 'higher_order', 'knobs', 'combo']
plain_ease = {}
for c in CUTS:
    t = load('cells', c, 'test')
    if t: plain_ease[c] = t['gram=binary profile=binary']
hdr = '| idea | as | ' + ' | '.join(c[:7] for c in CUTS) + ' | mean vs shipped Feb–Apr | Jun/Sep/Nov |'
print(hdr); print('|' + '---|' * (len(CUTS) + 4))
chosen = []
for name in IDEAS:
    base = BASE.get(name, 'off')
    for mode in (('shipped',) if name in ('knobs', 'combo') else ('plain', 'shipped')):
        cells, g1, g2 = [], [], []
        for c in CUTS:
            v, t = load(name, c, 'val'), load(name, c, 'test')
            if v is None or t is None or c not in plain_ease:
                cells.append('…'); continue
            ch = max(v, key=lambda k: (v[k][mode], k == base))
            x = t[ch][mode]
            gp = x / plain_ease[c]['plain'] - 1; gs = x / SHIPPED[c] - 1
            (g1 if c < '2011-05' else g2).append(gs)
            cells.append(f'{x:.4f} ({gp*100:+.1f} / {gs*100:+.1f})')
            each = t[ch]['each_' + mode].astype(float)
            lo, hi = bootstrap(each, t[base]['each_shipped'].astype(float))
            chosen.append((name, mode, c, ch, x, gs, lo, hi))
        f = lambda g: f'{np.mean(g)*100:+.1f}%' if g else '…'
        print(f'| {name} | {mode} | ' + ' | '.join(cells) + f' | {f(g1)} | {f(g2)} |')
print('\nchosen settings (paired bootstrap 95% range of the ratio to the shipped candidate twin at that cutoff):')
for name, mode, c, ch, x, gs, lo, hi in chosen:
    print(f'  {name:13s} {mode:8s} {c}  {ch:45s} {x:.4f} {gs*100:+.1f}%  ({lo*100:+.1f} … {hi*100:+.1f})')
