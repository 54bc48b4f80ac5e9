"""Text as search sees it: folding, jieba and Latin tokens, English stems, the glossary."""
