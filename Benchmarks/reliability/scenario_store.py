def run(binary, **kw): return True
