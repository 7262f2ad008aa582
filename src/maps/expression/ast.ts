import type { PyValue } from './py-value';

/** The parsed form of an expression: the Python `ast` node kinds of the supported subset. */
export type Node =
  | { kind: 'Const'; pos: number; value: PyValue }
  | { kind: 'Name'; pos: number; id: string }
  | { kind: 'Unary'; pos: number; op: '-' | '+' | '~' | 'not'; operand: Node }
  | { kind: 'Bin'; pos: number; op: BinOp; left: Node; right: Node }
  | { kind: 'BoolOp'; pos: number; op: 'and' | 'or'; values: Node[] }
  | { kind: 'Compare'; pos: number; left: Node; ops: CmpOp[]; comparators: Node[] }
  | { kind: 'IfExp'; pos: number; test: Node; body: Node; orelse: Node }
  | {
      kind: 'Call';
      pos: number;
      func: Node;
      args: Node[];
      keywords: { name: string; value: Node }[];
    }
  | { kind: 'Attribute'; pos: number; value: Node; attr: string }
  | { kind: 'Subscript'; pos: number; value: Node; index: Node }
  | { kind: 'Slice'; pos: number; lower: Node | null; upper: Node | null; step: Node | null }
  | { kind: 'List'; pos: number; elts: Node[] }
  | { kind: 'Tuple'; pos: number; elts: Node[] }
  | { kind: 'Starred'; pos: number; value: Node }
  | { kind: 'Dict'; pos: number; keys: (Node | null)[]; values: Node[] }
  | {
      kind: 'Comp';
      pos: number;
      comp: 'list' | 'gen' | 'dict';
      elt: Node;
      value: Node | null;
      generators: Generator[];
    }
  | { kind: 'JoinedStr'; pos: number; parts: (string | FormattedValue)[] };

export interface Generator {
  target: Node; // Name or Tuple/List of targets
  iter: Node;
  ifs: Node[];
}

export interface FormattedValue {
  value: Node;
  spec: Node | null; // a JoinedStr
}

export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '<<' | '>>' | '&' | '|' | '^';
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not';
