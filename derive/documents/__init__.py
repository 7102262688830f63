"""Documents: the text report, Markdown and LaTeX exports."""
