"""The exact algebra symbolic sizes are written in: polynomials with floors, and exact linear systems.

A small exact algebra (no SymPy): polynomials with rational coefficients over symbols and
floor terms floor(P/q), q a positive integer, kept in one canonical form so that two equal
sizes compare equal. It lives apart from the walk (`sizes`) and the analysis (`analysis`)
because it knows nothing of layers or specs: it is the arithmetic both are written in, and
`sums` uses it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property


@dataclass(frozen=True)
class Floor:
    """floor(arg / q): arg has integer coefficients, not all multiples of q."""

    arg: Expr
    q: int

    @cached_property
    def text(self) -> str:
        return f"floor(({self.arg})/{self.q})"

    def __str__(self) -> str:
        return self.text


Atom = str | Floor  # a symbol by name, or a floor term
Monomial = tuple[tuple[Atom, int], ...]  # atoms with their powers, in a canonical order


def _key(atom: Atom) -> str:
    return atom if isinstance(atom, str) else "~" + atom.text


@dataclass(frozen=True)
class Expr:
    """A polynomial over atoms with exact rational coefficients, kept in canonical form."""

    terms: tuple[tuple[Monomial, Fraction], ...] = ()

    @staticmethod
    def of(terms: Mapping[Monomial, Fraction]) -> Expr:
        items = [(m, c) for m, c in terms.items() if c != 0]
        return Expr(tuple(sorted(items, key=lambda t: (-_degree(t[0]), [(_key(a), p) for a, p in t[0]]))))

    @staticmethod
    def const(value: int | Fraction) -> Expr:
        return Expr.of({(): Fraction(value)})

    @staticmethod
    def symbol(name: str) -> Expr:
        return Expr.of({((name, 1),): Fraction(1)})

    def __add__(self, other: Expr | int) -> Expr:
        o = _lift(other)
        out = dict(self.terms)
        for m, c in o.terms:
            out[m] = out.get(m, Fraction(0)) + c
        return Expr.of(out)

    __radd__ = __add__

    def __neg__(self) -> Expr:
        return Expr.of({m: -c for m, c in self.terms})

    def __sub__(self, other: Expr | int) -> Expr:
        return self + (-_lift(other))

    def __mul__(self, other: Expr | int | Fraction) -> Expr:
        o = _lift(other)
        out: dict[Monomial, Fraction] = {}
        for m1, c1 in self.terms:
            for m2, c2 in o.terms:
                m = _times(m1, m2)
                out[m] = out.get(m, Fraction(0)) + c1 * c2
        return Expr.of(out)

    __rmul__ = __mul__

    def floordiv(self, q: int) -> Expr:
        """floor(self / q), simplified: whole multiples of q come out of the floor."""
        if any(c.denominator != 1 for _, c in self.terms):
            raise ValueError(f"floor of {self} needs integer coefficients")
        whole: dict[Monomial, Fraction] = {}
        rest: dict[Monomial, Fraction] = {}
        for m, c in self.terms:
            a, r = divmod(int(c), q)
            whole[m], rest[m] = Fraction(a), Fraction(r)
        left, remainder = Expr.of(whole), Expr.of(rest)
        if remainder.is_constant():
            return left + Expr.const(int(remainder.constant()) // q)
        nested = [(m, c) for m, c in remainder.terms if m]
        if len(nested) == 1 and nested[0][1] == 1 and len(nested[0][0]) == 1:
            ((atom, power),) = nested[0][0]
            if isinstance(atom, Floor) and power == 1:
                # floor((floor(A/p) + c)/q) = floor((A + c*p)/(p*q)) for integer A and c
                return left + (atom.arg + int(remainder.constant()) * atom.q).floordiv(atom.q * q)
        return left + Expr.of({((Floor(remainder, q), 1),): Fraction(1)})

    def is_constant(self) -> bool:
        return all(not m for m, _ in self.terms)

    def constant(self) -> Fraction:
        return dict(self.terms).get((), Fraction(0))

    def atoms(self) -> set[Atom]:
        found: set[Atom] = set()
        for m, _ in self.terms:
            for a, _p in m:
                found.add(a)
                if isinstance(a, Floor):
                    found |= a.arg.atoms()
        return found

    def floors(self) -> list[Floor]:
        return sorted((a for a in self.atoms() if isinstance(a, Floor)), key=str)

    def __call__(self, env: Mapping[str, int]) -> Fraction:
        """The value with every symbol set."""
        total = Fraction(0)
        for m, c in self.terms:
            value = c
            for a, p in m:
                value *= (Fraction(env[a]) if isinstance(a, str) else Fraction(int(a.arg(env)) // a.q)) ** p
            total += value
        return total

    def subs(self, env: Mapping[str, Expr]) -> Expr:
        """Each symbol of `env` replaced by its expression, floors simplified again."""
        out = Expr.const(0)
        for m, c in self.terms:
            term = Expr.const(c)
            for a, p in m:
                base = (env.get(a, Expr.symbol(a))) if isinstance(a, str) else a.arg.subs(env).floordiv(a.q)
                for _ in range(p):
                    term = term * base
            out = out + term
        return out

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        text = ""
        for i, (m, c) in enumerate(self.terms):
            sign = "-" if c < 0 else "+"
            body = _term(m, abs(c))
            text += (f"-{body}" if sign == "-" else body) if i == 0 else f" {sign} {body}"
        return text


def _lift(value: Expr | int | Fraction) -> Expr:
    return value if isinstance(value, Expr) else Expr.const(value)


def _degree(m: Monomial) -> int:
    return sum(p for _, p in m)


def _times(a: Monomial, b: Monomial) -> Monomial:
    powers: dict[Atom, int] = dict(a)
    for atom, p in b:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items(), key=lambda t: _key(t[0])))


def _term(m: Monomial, c: Fraction) -> str:
    factors = "*".join(str(a) if p == 1 else f"{a}^{p}" for a, p in m)
    if not factors:
        return str(c)
    num = "" if c.numerator == 1 else f"{c.numerator}*"
    return f"{num}{factors}" + (f"/{c.denominator}" if c.denominator != 1 else "")


def symbolic_product(values: Iterable[Expr]) -> Expr:
    out = Expr.const(1)
    for v in values:
        out = out * v
    return out


def solve_exactly(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Exact Gaussian elimination; None when the system is singular."""
    n = len(rhs)
    a = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


__all__ = ["Atom", "Expr", "Floor", "Monomial", "solve_exactly", "symbolic_product"]
