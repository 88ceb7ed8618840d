"""What the commands that read (or rewrite) the store do: export, report, stats, dedup, reclean,
prune, and where export/report may write (``outfile``).  Their command-line options live in
``pipelines/cli/``."""
