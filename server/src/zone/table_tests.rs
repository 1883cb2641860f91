//! Tests of the node table: tags, probing, removal, prefetch.

use super::*;
use crate::wire::name::from_dotted;
use crate::zone::SetSpec;

fn names(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| from_dotted(&format!("h{i}.example.")).unwrap_or_default()).collect()
}

#[test]
fn inserts_finds_replaces_removes() {
    let names = names(3000);
    let mut t = NodeTable::default();
    assert!(t.get(&names[0]).is_none() && t.remove(&names[0]).is_none());
    for n in &names {
        assert!(t.insert(Node::empty(n, 0)).is_none());
    }
    assert_eq!(t.len(), 3000);
    assert!(t.slots.len() * MAX_LOAD.0 >= t.len() * MAX_LOAD.1);
    let old = t.insert(Node::empty(&names[7], 1));
    assert_eq!(old.map(|o| o.flags()), Some(0));
    assert_eq!((t.len(), t.get(&names[7]).map(Node::flags)), (3000, Some(1)));
    // Remove every third name: the rest must stay reachable (backward shift).
    for n in names.iter().step_by(3) {
        assert_eq!(t.remove(n).map(|o| o.name().to_vec()), Some(n.clone()));
        assert!(t.remove(n).is_none());
    }
    for (i, n) in names.iter().enumerate() {
        assert_eq!(t.contains(n), i % 3 != 0, "{i}");
    }
    assert_eq!(t.len(), 2000);
    assert_eq!(t.iter().count(), 2000);
    let cap = t.slots.len();
    t.shrink_to_fit();
    assert!(t.slots.len() <= cap && t.slots.len() > t.len());
    let mut over = NodeTable::with_capacity(4 * names.len());
    for n in &names[..100] {
        over.insert(Node::empty(n, 0));
    }
    over.shrink_to_fit();
    assert_eq!(over.slots.len(), slots_for(100), "an estimate far too large is given back");
    assert!(names[..100].iter().all(|n| over.contains(n)));
    let c = t.clone();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(t.get(n).is_some(), i % 3 != 0);
        assert!(c.get(n).map_or(i % 3 == 0, |m| t.get(n).is_some_and(|o| o.same(m))));
    }
    if let Some(n) = t.get_mut(&names[1]) {
        n.set_flags(4);
    }
    assert_eq!((t.get(&names[1]).map(Node::flags), c.get(&names[1]).map(Node::flags)), (Some(4), Some(0)));
    assert!(!t.contains(b"\x07missing\x00"));
}

#[test]
fn prefetch_finds_the_node_a_lookup_reads() {
    let names = names(5000);
    let mut t = NodeTable::default();
    let h = hash(&names[0]);
    t.prefetch_slot(h);
    assert_eq!(t.prefetch_node(h), None, "an empty table");
    for n in &names[..4000] {
        t.insert(Node::empty(n, 0));
    }
    let cap = t.slots.len();
    let mut hinted = 0;
    for n in &names[..4000] {
        let h = hash(n);
        t.prefetch_slot(h);
        let at = t.probe(n, h).map_or(usize::MAX, |i| (i + cap - home(h, cap)) % cap);
        let want = t.get(n).map(Node::memory_order);
        // A probe longer than PREFETCH_PROBE is left to the lookup.
        if at < PREFETCH_PROBE {
            assert_eq!(t.prefetch_node(h), want);
            hinted += 1;
        } else {
            assert_eq!(t.prefetch_node(h), None);
        }
    }
    assert!(hinted > 3900, "{hinted}");
    // An absent name: usually no tag matches (one in 65,536 per slot).
    let absent = names[4000..].iter().filter(|n| t.prefetch_node(hash(n)).is_none()).count();
    assert!(absent > 990, "{absent}");
}

#[test]
fn a_large_build_moves_its_nodes_into_an_arena_until_shrunk() {
    let names = names(4);
    let mut small = NodeTable::with_capacity(BULK - 1);
    small.insert(Node::empty(&names[0], 0));
    assert!(small.get(&names[0]).is_some_and(|n| !n.in_arena()));
    let mut t = NodeTable::with_capacity(BULK);
    let shared = Node::empty(&names[1], 0);
    t.insert(Node::empty(&names[0], 0));
    t.insert(shared.clone());
    let on_linux = cfg!(target_os = "linux");
    assert!(t.get(&names[0]).is_some_and(|n| n.in_arena() == on_linux));
    assert!(t.get(&names[1]).is_some_and(|n| !n.in_arena() && n.same(&shared)), "a shared node stays put");
    if let Some(n) = t.get_mut(&names[0]) {
        n.set_flags(2);
    }
    assert!(t.get(&names[0]).is_some_and(|n| n.in_arena() == on_linux && n.flags() == 2), "flags set in place");
    let c = t.clone();
    t.shrink_to_fit();
    t.insert(Node::empty(&names[2], 0));
    assert!(t.get(&names[2]).is_some_and(|n| !n.in_arena()), "the build is over");
    drop(t);
    assert!(c.get(&names[0]).is_some_and(|n| n.in_arena() == on_linux && n.name() == &names[0][..]), "kept by the clone");
}

#[test]
fn a_new_version_keeps_arena_nodes_after_the_old_one_goes() {
    // Enough 150-byte nodes to fill several chunks.
    let image = [7u8; 100];
    let node = |n: &[u8], flags| {
        let set = SetSpec { rtype: 1, count: 1, ttl: 60, image: &image };
        Node::new(n, flags, &[set])
    };
    let names = names(BULK + 8000);
    let mut old = NodeTable::with_capacity(names.len());
    for n in &names {
        old.insert(node(n, 0));
    }
    old.shrink_to_fit();
    assert!(old.iter().all(|n| n.in_arena() == cfg!(target_os = "linux")));
    // What a patch does: clone, replace, remove, set flags on shared nodes.
    let mut new = old.clone();
    for (i, n) in names.iter().enumerate() {
        match i % 6 {
            0 => assert!(new.remove(n).is_some()),
            1 => assert!(new.insert(node(n, 1)).is_some()),
            2 => new.get_mut(n).expect("present").set_flags(2),
            _ => {}
        }
    }
    drop(old);
    for (i, n) in names.iter().enumerate() {
        let got = new.get(n).map(|m| (m.flags(), m.get(1).map(|r| r.data.to_vec())));
        let want = (i % 6 != 0).then(|| ([0, 1, 2, 0, 0, 0][i % 6], Some(image.to_vec())));
        assert_eq!(got, want, "{i}");
    }
}

#[test]
fn removal_in_a_full_cluster_that_wraps() {
    // A tiny table where most homes collide: every order of removal keeps the rest findable.
    let names = names(6);
    for skip in 0..names.len() {
        let mut t = NodeTable::with_capacity(1);
        for n in &names {
            t.insert(Node::empty(n, 0));
        }
        t.remove(&names[skip]);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.contains(n), i != skip);
        }
    }
}
