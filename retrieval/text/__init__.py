"""Text -> passages and terms: sentences (sentences.py), passages bounded in words with their section
path (passages.py), and the one tokenizer both sides of BM25 use (tokenize.py, stopwords.py)."""
