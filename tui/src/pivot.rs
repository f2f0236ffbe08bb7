//! Pivots: from the results of a query, follow what they point to
//! (addresses and names in rdata) and what points to them, hop by hop,
//! and the graph of it all.
//!
//! Nodes are names and addresses; an entry is an edge from its owner name
//! to each address or name its rdata holds, labelled by its type. One hop
//! looks up every node reached but not yet visited: a name as an owner
//! (`Query::Name`) and in rdata (`Query::RdataName`), an address as A or
//! AAAA rdata (`Query::Ip`). So `www.example.com` → its address → the
//! other names on that address → their name servers → the names those
//! servers serve, and so on. A visited set keeps each node to one lookup,
//! and a cap on entries bounds the walk.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::io::{self, Write};
use std::net::IpAddr;

use pdnsfile::record::{escape_text_str, rdata_names};
use pdnsfile::rrtype::{self, known};
use pdnsfile::{Entry, Federation, Filter, Query};

use crate::engine::Row;

/// A node of the pivot graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A domain name.
    Name(String),
    /// An IPv4 or IPv6 address.
    Addr(IpAddr),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Name(n) => f.write_str(n),
            Node::Addr(a) => write!(f, "{a}"),
        }
    }
}

impl Node {
    /// The lookups that find the entries touching this node.
    fn queries(&self) -> Vec<Query> {
        match self {
            Node::Name(n) => vec![Query::Name(n.clone()), Query::RdataName(n.clone())],
            Node::Addr(a) => vec![Query::Ip(*a)],
        }
    }
}

/// The nodes an entry's rdata points to: its address, or the names in it.
pub fn targets(e: &Entry) -> Vec<Node> {
    match e.rrtype {
        known::A | known::AAAA => e.rdata.parse().map(Node::Addr).into_iter().collect(),
        t => rdata_names(t, &e.rdata)
            .into_iter()
            .map(|n| Node::Name(n.to_string()))
            .collect(),
    }
}

/// The node a query starts from, when it is one name or address.
fn start_node(q: &Query) -> Option<Node> {
    match q {
        Query::Name(n) | Query::RdataName(n) => Some(Node::Name(n.clone())),
        Query::Ip(a) => Some(Node::Addr(*a)),
        _ => None,
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Every entry found, once, with its path, in the order found.
    pub rows: Vec<Row>,
    /// Whether the walk stopped at the cap, leaving nodes unexplored.
    pub capped: bool,
    /// Lookups made: the query, then one per node.
    pub visited: usize,
}

/// Runs `query`, then `hops` pivot hops from its results, with `filter` on
/// every lookup, stopping once `cap` entries are found. `origin` (the
/// query as typed) starts every path.
///
/// # Errors
///
/// The archives' errors.
pub fn walk(
    fed: &Federation,
    query: &Query,
    origin: &str,
    filter: &Filter,
    hops: u32,
    cap: usize,
) -> pdnsfile::Result<Walk> {
    let mut w = Walk::default();
    let mut seen: HashSet<(String, u16, String)> = HashSet::new();
    let mut visited: HashSet<Node> = HashSet::new();
    visited.extend(start_node(query));
    let mut frontier: Vec<(Vec<Query>, Vec<String>)> =
        vec![(vec![query.clone()], vec![origin.to_string()])];
    for hop in 0..=hops {
        let mut next = Vec::new();
        for (queries, path) in &frontier {
            w.visited += 1;
            for q in queries {
                for e in fed.query(q, filter)? {
                    let e = e?;
                    if !seen.insert((e.rrname.clone(), e.rrtype, e.rdata.clone())) {
                        continue;
                    }
                    if w.rows.len() >= cap {
                        w.capped = true;
                        return Ok(w);
                    }
                    if hop < hops {
                        let owner = Node::Name(e.rrname.clone());
                        for n in std::iter::once(owner).chain(targets(&e)) {
                            if visited.insert(n.clone()) {
                                let mut p = path.clone();
                                p.push(n.to_string());
                                next.push((n.queries(), p));
                            }
                        }
                    }
                    w.rows.push(Row {
                        entry: e,
                        pivot_path: Some(path.clone()),
                    });
                }
            }
        }
        frontier = next;
    }
    Ok(w)
}

/// The graph of a set of entries: nodes are names and addresses, edges
/// go from an owner to what its rdata points to, labelled by type.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// Every node, in order.
    pub nodes: BTreeSet<Node>,
    /// Edges (from, to) with their types.
    pub edges: BTreeMap<(Node, Node), BTreeSet<String>>,
}

/// Graph file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// GraphML (XML).
    Graphml,
}

impl Graph {
    /// The graph of `rows`' entries.
    pub fn of(rows: &[Row]) -> Graph {
        let mut g = Graph::default();
        for r in rows {
            let owner = Node::Name(r.entry.rrname.clone());
            g.nodes.insert(owner.clone());
            for t in targets(&r.entry) {
                g.nodes.insert(t.clone());
                g.edges
                    .entry((owner.clone(), t))
                    .or_default()
                    .insert(rrtype::to_string(r.entry.rrtype));
            }
        }
        g
    }

    /// Writes the graph in `format`. Names are escaped for the format
    /// (and every octet outside printable ASCII as `\ddd` first).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write(&self, out: &mut dyn Write, format: GraphFormat) -> io::Result<()> {
        match format {
            GraphFormat::Dot => self.write_dot(out),
            GraphFormat::Graphml => self.write_graphml(out),
        }
    }

    fn write_dot(&self, out: &mut dyn Write) -> io::Result<()> {
        let q = |n: &Node| {
            let s = escape_text_str(&n.to_string());
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        };
        writeln!(out, "digraph pdns {{")?;
        for n in &self.nodes {
            let shape = match n {
                Node::Name(_) => "ellipse",
                Node::Addr(_) => "box",
            };
            writeln!(out, "  {} [shape={shape}];", q(n))?;
        }
        for ((a, b), types) in &self.edges {
            let label = types.iter().cloned().collect::<Vec<_>>().join(",");
            writeln!(
                out,
                "  {} -> {} [label=\"{}\"];",
                q(a),
                q(b),
                escape_text_str(&label)
            )?;
        }
        writeln!(out, "}}")
    }

    fn write_graphml(&self, out: &mut dyn Write) -> io::Result<()> {
        let x = |s: &str| {
            escape_text_str(s)
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
        )?;
        writeln!(
            out,
            r#"  <key id="label" for="node" attr.name="label" attr.type="string"/>"#
        )?;
        writeln!(
            out,
            r#"  <key id="kind" for="node" attr.name="kind" attr.type="string"/>"#
        )?;
        writeln!(
            out,
            r#"  <key id="type" for="edge" attr.name="type" attr.type="string"/>"#
        )?;
        writeln!(out, r#"  <graph id="pdns" edgedefault="directed">"#)?;
        let ids: BTreeMap<&Node, usize> =
            self.nodes.iter().enumerate().map(|(i, n)| (n, i)).collect();
        for (n, i) in &ids {
            let kind = match n {
                Node::Name(_) => "name",
                Node::Addr(_) => "address",
            };
            writeln!(
                out,
                r#"    <node id="n{i}"><data key="label">{}</data><data key="kind">{kind}</data></node>"#,
                x(&n.to_string())
            )?;
        }
        for ((a, b), types) in &self.edges {
            let (Some(ia), Some(ib)) = (ids.get(a), ids.get(b)) else {
                continue;
            };
            let label = types.iter().cloned().collect::<Vec<_>>().join(",");
            writeln!(
                out,
                r#"    <edge source="n{ia}" target="n{ib}"><data key="type">{}</data></edge>"#,
                x(&label)
            )?;
        }
        writeln!(out, "  </graph>")?;
        writeln!(out, "</graphml>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, t: u16, rdata: &str) -> Entry {
        Entry::new(name, t, rdata, 1, 2, Some(1)).unwrap()
    }

    #[test]
    fn targets_of_entries() {
        assert_eq!(
            targets(&e("a.example", 1, "192.0.2.1")),
            vec![Node::Addr("192.0.2.1".parse().unwrap())]
        );
        assert_eq!(
            targets(&e("a.example", 15, "10 mx.example")),
            vec![Node::Name("mx.example".into())]
        );
        assert_eq!(targets(&e("a.example", 16, "\"v=spf1 -all\"")), vec![]);
    }

    fn archive(entries: Vec<Entry>) -> pdnsfile::Archive {
        let mut v = entries;
        v.sort_by(|a, b| a.cmp_key(b));
        let mut w = pdnsfile::Writer::new(Vec::new(), pdnsfile::WriterOptions::default()).unwrap();
        for e in v {
            w.push(e).unwrap();
        }
        pdnsfile::Archive::from_vec(w.finish().unwrap()).unwrap()
    }

    fn fed() -> Federation {
        Federation::new(vec![archive(vec![
            e("a.example", 1, "192.0.2.1"),
            e("a.example", 2, "ns.example"),
            e("b.example", 1, "192.0.2.1"),
            e("c.example", 2, "ns.example"),
            e("ns.example", 1, "192.0.2.53"),
            e("d.example", 1, "192.0.2.53"),
            e("e.example", 1, "198.51.100.1"),
        ])])
    }

    fn found(w: &Walk) -> Vec<String> {
        w.rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} via {}",
                    r.entry.rrname,
                    rrtype::to_string(r.entry.rrtype),
                    r.entry.rdata,
                    r.pivot_path.as_deref().unwrap_or_default().join(">")
                )
            })
            .collect()
    }

    #[test]
    fn walks_hop_by_hop_once() {
        let f = fed();
        let q = Query::Name("a.example".into());
        let none = Filter::default();
        let w0 = walk(&f, &q, "a.example", &none, 0, 100).unwrap();
        assert_eq!(
            found(&w0),
            [
                "a.example A 192.0.2.1 via a.example",
                "a.example NS ns.example via a.example"
            ]
        );
        let w2 = walk(&f, &q, "a.example", &none, 2, 100).unwrap();
        assert_eq!(
            found(&w2),
            [
                "a.example A 192.0.2.1 via a.example",
                "a.example NS ns.example via a.example",
                "b.example A 192.0.2.1 via a.example>192.0.2.1",
                "ns.example A 192.0.2.53 via a.example>ns.example",
                "c.example NS ns.example via a.example>ns.example",
                "d.example A 192.0.2.53 via a.example>ns.example>192.0.2.53",
            ]
        );
        assert!(!w2.capped);
        // More hops find nothing more: every node is visited once.
        let w9 = walk(&f, &q, "a.example", &none, 9, 100).unwrap();
        assert_eq!(w9.rows, w2.rows);
        let capped = walk(&f, &q, "a.example", &none, 9, 3).unwrap();
        assert!(capped.capped);
        assert_eq!(capped.rows.len(), 3);
        // Filters apply at every hop.
        let only_a = Filter {
            types: Some(vec![1]),
            ..Filter::default()
        };
        let wa = walk(&f, &q, "a.example", &only_a, 3, 100).unwrap();
        assert_eq!(
            found(&wa),
            [
                "a.example A 192.0.2.1 via a.example",
                "b.example A 192.0.2.1 via a.example>192.0.2.1",
            ]
        );
    }

    #[test]
    fn graphs_escape() {
        let rows: Vec<Row> = vec![
            e("a.example", 1, "192.0.2.1").into(),
            e("a.example", 2, "ns\\\".example").into(),
        ];
        let g = Graph::of(&rows);
        let mut dot = Vec::new();
        g.write(&mut dot, GraphFormat::Dot).unwrap();
        assert_eq!(
            String::from_utf8(dot).unwrap(),
            r#"digraph pdns {
  "a.example" [shape=ellipse];
  "ns\".example" [shape=ellipse];
  "192.0.2.1" [shape=box];
  "a.example" -> "ns\".example" [label="NS"];
  "a.example" -> "192.0.2.1" [label="A"];
}
"#
        );
    }
}
