"""The made-up brands the judgment tests speak to: Kestrel Bank (a bank with a competitor,
Norvale) and Skua Air (an airline). Their analysers are the `bank` and `airline` fixtures of
conftest.py, built once per test session."""

from __future__ import annotations

from monitor.analysis import BrandTerms

KESTREL = BrandTerms(name="Kestrel Bank", keywords=("kestrel bank", "kestrel"),
                     hashtags=("kestrelbank", "kestreldown"),
                     handles=("KestrelBank", "KestrelBankHelp"),
                     competitors=(("Norvale", ("norvale", "@NorvaleBank")),))
SKUA = BrandTerms(name="Skua Air", keywords=("skua air", "skuaair", "skua"),
                  hashtags=("skuaair", "skuadown"), handles=("SkuaAir", "SkuaAirHelp"))
