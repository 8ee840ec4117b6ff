"""The best test NDCG@10 of any setting of any idea (chosen on the test itself: a ceiling, not a result)."""
import pickle, glob
from report import CUTS, SHIPPED
for c in CUTS:
    best = []
    for p in glob.glob(f'res/*_{c}_test.pkl'):
        name = p.split('/')[1].split('_20')[0]
        for k, v in pickle.load(open(p, 'rb')).items():
            for mode in ('plain', 'shipped'):
                best.append((v[mode], name, mode, k))
    best.sort(reverse=True)
    x = best[0]
    print(f'{c}: ceiling {x[0]:.4f} ({(x[0]/SHIPPED[c]-1)*100:+.1f}% over shipped; target {SHIPPED[c]*0+{"2011-02-09":0.2199,"2011-03-09":0.2098,"2011-04-09":0.1905,"2011-06-09":0.1632,"2011-09-09":0.1124,"2011-11-09":0.0954}[c]*1.15:.4f}) {x[1]} {x[2]} {x[3]}')
