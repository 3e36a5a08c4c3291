"""Homework support: the arithmetic of worked steps, and reading a student's answer sheet.

- expr: the small arithmetic language every explanation step is written in (evaluated
  exactly, printed as text or LaTeX);
- cells: reading a cell as people write it ("6.3K", "28 \u00d7 28 \u00d7 8", "138 million") and
  deciding whether it is right at the precision it was written;
- sheet: reading an answer sheet (CSV, Markdown table, YAML) and writing a blank one;
- mistakes: the common mistakes, recomputed with the layer rules under the wrong convention.

cnncalc.homework.explain and cnncalc.homework.grade build on these; nothing here prints or imports rich.
"""
