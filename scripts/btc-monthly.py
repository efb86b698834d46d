#!/usr/bin/env python3
"""Monthly aggregates of Coin Metrics' daily BTC series (community data, csv/btc.csv).

Usage: scripts/btc-monthly.py DAILY.csv > assets/data/btc-monthly-2023-2025.csv

DAILY.csv needs the Coin Metrics column names time, BlkCnt, FeeTotNtv, HashRate,
IssTotNtv, PriceUSD (extra columns are ignored, so the upstream file works as is).
Rows without a price (the file's last, incomplete day) are skipped. Only 2023-01..2025-12
is written. The daily data is CC BY-NC 4.0: ship only these monthly aggregates.
"""
import csv
import sys
from collections import OrderedDict

HEADER = """\
# Monthly BTC price and network hashrate, 2023-01 .. 2025-12.
# Source: Coin Metrics Community Network Data, https://github.com/coinmetrics/data
#   file csv/btc.csv (daily), columns time, PriceUSD, HashRate (TH/s), BlkCnt,
#   IssTotNtv, FeeTotNtv. Licence: CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/),
#   (c) Coin Metrics. Only monthly aggregates are shipped here; see assets/data/README.md.
# Aggregation (scripts/btc-monthly.py): per calendar month, days = days with a price;
#   btc_price_usd = mean of daily PriceUSD; hashrate_eh_s = mean of daily HashRate / 1e6;
#   blocks, subsidy_btc, fees_btc = sums of daily BlkCnt, IssTotNtv, FeeTotNtv.
"""


def main(path):
    months = OrderedDict()
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if not row["PriceUSD"]:
                continue
            month = row["time"][:7]
            if not ("2023-01" <= month <= "2025-12"):
                continue
            m = months.setdefault(month, [0, 0.0, 0.0, 0, 0.0, 0.0])
            m[0] += 1
            m[1] += float(row["PriceUSD"])
            m[2] += float(row["HashRate"])
            m[3] += int(float(row["BlkCnt"]))
            m[4] += float(row["IssTotNtv"])
            m[5] += float(row["FeeTotNtv"])
    out = sys.stdout
    out.write(HEADER)
    out.write("month,days,btc_price_usd,hashrate_eh_s,blocks,subsidy_btc,fees_btc\n")
    for month, (days, price, hashrate, blocks, subsidy, fees) in months.items():
        out.write(
            f"{month},{days},{price / days:.2f},{hashrate / days / 1e6:.3f},"
            f"{blocks},{subsidy:.4f},{fees:.4f}\n"
        )


if __name__ == "__main__":
    main(sys.argv[1])
