"""Other shops' exports, converted to a Parquet with the Online Retail column names, for shops.py.

    ~/.venvs/bench/bin/python benches/reference_models/shops_data.py SHOP SOURCE OUT.parquet

Every output has InvoiceNo (str), StockCode (str), Description (str), Quantity (int64),
InvoiceDate (datetime64), UnitPrice (float64), CustomerID (int64), Country (str). What a shop
lacks is filled: Quantity 1, UnitPrice 1.0, Country "X", InvoiceNo "<customer>-<yyyymmdd>" (one
basket per customer and day). Rows without a customer are dropped here (kindred and common.py
drop them anyway).

SHOP is one of:

groceries   Kaggle "Groceries dataset" (Heeral Dedhia), Groceries_dataset.csv: Member_number,
            Date (dd-mm-yyyy), itemDescription; 38,765 rows, 3,898 members, 167 items,
            2014-01-01 … 2015-12-30. The item name is both StockCode and Description. Copy used:
              git --git-dir=$(fetch github:Deepesh8619/grocery-analytics) \\
                  show ddf635686a9fcdb8081a08185985335ad1a2915a:Groceries_dataset.csv > Groceries_dataset.csv
            (this copy is ';'-separated; the Kaggle original is ','-separated: both are read).

retail2     UCI "Online Retail II" (online_retail_II.csv, or the .xlsx's "Year 2009-2010" sheet):
            Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Customer ID, Country.
            Only rows before 2010-12-01 are kept (the shipped export starts on 2010-12-01).
            Columns are renamed; nothing else changes (cancellations and returns stay, as in the
            shipped export: kindred's cleaning handles them). The whole file (~1M rows) was not
            found in any stored repository (copies are LFS pointers, a few thousand rows, or
            synthetic look-alikes); the copy used is every row of nine European countries
            (France, Netherlands, Spain, Switzerland, Portugal, Belgium, Italy, Unspecified,
            Canada; 14,269 rows in 2009-2010, 13,659 with a customer before 2010-12-01, 157
            customers, 2,043 items):
              git --git-dir=$(fetch github:Sammy-E/Science-des-Donn-es) \
                  show fcb81dcbf861d30c4c0ed3e240eb4d76a3946ec1:online_retail_II.xlsx > sammy.xlsx
              shops_data.py retail2 sammy.xlsx retail2_eu.parquet      (needs openpyxl)
"""
import sys
import pandas as pd

COLS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']


def groceries(src):
    d = pd.read_csv(src, sep=None, engine='python')
    d['InvoiceDate'] = pd.to_datetime(d.Date, format='%d-%m-%Y')
    cust = d.Member_number.astype('int64')
    return pd.DataFrame({
        'InvoiceNo': cust.astype(str) + '-' + d.InvoiceDate.dt.strftime('%Y%m%d'),
        'StockCode': d.itemDescription.astype(str),
        'Description': d.itemDescription.astype(str),
        'Quantity': 1,
        'InvoiceDate': d.InvoiceDate,
        'UnitPrice': 1.0,
        'CustomerID': cust,
        'Country': 'X',
    })


def retail2(src):
    if src.endswith('.xlsx'):
        d = pd.read_excel(src, sheet_name='Year 2009-2010', dtype={'Invoice': str, 'StockCode': str})
    else:
        d = pd.read_csv(src, dtype={'Invoice': str, 'StockCode': str, 'Description': str, 'Country': str},
                        encoding_errors='replace')
    d['InvoiceDate'] = pd.to_datetime(d.InvoiceDate)
    d = d[(d.InvoiceDate < pd.Timestamp('2010-12-01')) & d['Customer ID'].notna()]
    return pd.DataFrame({
        'InvoiceNo': d.Invoice.astype(str),
        'StockCode': d.StockCode.astype(str),
        'Description': d.Description.fillna('').astype(str),
        'Quantity': d.Quantity.astype('int64'),
        'InvoiceDate': d.InvoiceDate,
        'UnitPrice': d.Price.astype(float),
        'CustomerID': d['Customer ID'].astype('int64'),
        'Country': d.Country.fillna('X').astype(str),
    })


SHOPS = {'groceries': groceries, 'retail2': retail2}


def main(shops=SHOPS):
    shop, src, out = sys.argv[1:4]
    df = shops[shop](src)[COLS].sort_values(['InvoiceDate', 'CustomerID'], kind='stable').reset_index(drop=True)
    df.to_parquet(out, index=False)
    print(f"{shop}: {len(df)} rows, {df.CustomerID.nunique()} customers, {df.StockCode.nunique()} items, "
          f"{df.InvoiceDate.min()} … {df.InvoiceDate.max()} -> {out}")


if __name__ == '__main__':
    main()
