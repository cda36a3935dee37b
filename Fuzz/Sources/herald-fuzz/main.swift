print("herald-fuzz: replays a corpus (see Fuzz/README.md)")
