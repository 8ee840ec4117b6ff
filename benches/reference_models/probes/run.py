"""python run.py IDEA[,IDEA] [CUTOFF ...]: scores every setting of each idea on the window (the 30
days before the cutoff) and on the test (after it), alone and as the shipped candidate; results
to res/IDEA_CUTOFF.pkl"""
import sys, os, time, pickle
import numpy as np
from lib import *
import ideas

CUTS = ['2011-02-09', '2011-03-09', '2011-04-09', '2011-06-09', '2011-09-09', '2011-11-09']
names = sys.argv[1].split(',')
cuts = sys.argv[2:] or CUTS
os.makedirs('res', exist_ok=True)
for cut in cuts:
    for part, s in (('val', lambda: val_split(cut)), ('test', lambda: test_split(cut))):
        t0 = time.time()
        s = s(); E = s.eval_users
        W0 = ease_W(plain_X(s), 350.0)
        ctx = dict(s=s, E=E, W0=W0, base=np.asarray(s.B[E] @ W0))
        T = text_sim(s); F = prior(s, E)
        for name in names:
            out = {}
            for label, fn in ideas.IDEAS[name]():
                raw, mult = fn(ctx)
                m = 1.0 if mult is None else mult
                rp = ev(s, np.where(raw > 0, raw, 0) * m)
                rs = ev(s, shipped(s, E, raw, T, F) * m)
                out[label] = dict(plain=rp['ndcg'], shipped=rs['ndcg'], cov=rs['cov'],
                                  each_plain=rp['each'].astype(np.float32), each_shipped=rs['each'].astype(np.float32))
            pickle.dump(out, open(f'res/{name}_{cut}_{part}.pkl', 'wb'))
            print(cut, part, name, len(out), 'settings, n=%d' % len(E), '%.0fs' % (time.time() - t0), flush=True)
