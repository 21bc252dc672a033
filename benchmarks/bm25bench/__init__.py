"""BM25 engines compared on the same tokens: this project's BM25Index, rank-bm25, bm25s, tantivy.

Run on demand, never in CI as a timing assertion:

    .venv/bin/pip install -r benchmarks/requirements.txt      # tantivy (benchmark-only)
    .venv/bin/python benchmarks/bench.py --sizes 10k,100k --queries 1000 --json bench.json --markdown

Corpus. The SciFact abstracts (title + text) are split into sentences; one sentence is one passage
("--chunking passages" uses the project's own passage splitter instead). A size larger than the real
text is topped up with passages drawn from a seeded Zipf-Mandelbrot generator over the real terms
ranked by frequency, extended with synthetic terms ("zq<rank>") for the long tail; passage lengths are
drawn from the real length distribution. The same (size, seed, data file, tokenizer version) always
gives the same corpus. Without the SciFact files everything is synthetic.

Queries. Half are SciFact queries (seeded sample) tokenized with retrieval.text.tokenize, half are Zipf
queries of 2-6 terms drawn from the same distribution as the corpus; queries with no token are dropped.

Method. The parent tokenizes once and writes each size's token corpus to a temp folder (int32 token
ids + int64 offsets + vocabulary), streaming, so memory stays bounded. Each engine then runs twice in
its own fresh subprocess: "build" (read the tokens, build, save to disk) and "serve" (load from disk,
answer every query single-threaded with top-k=10), so the RSS peaks are separate and the serve peak is
what a freshly started bot holds. rank-bm25 has no on-disk format: it is pickled. Score parity of
BM25Index against rank_bm25.BM25Okapi is checked on the smallest size (the 10k corpus by default).

Layout, one module a job: config (the fixed settings), machine (RSS, machine description),
corpus_gen (the token corpora: SciFact text, the seeded generator, the queries), engines (the
adapters: build / save / load / top), phases (build, serve, parity; one fresh process each), e2e
(Corpus end to end), run (a whole run, each phase in its own process), report (the tables), cli
(the command line). benchmarks/bench.py is the entry point.
"""
