import Testing
@testable import WordPiece

@Suite("longest_first truncation")
struct TruncationTests {
    @Test("matches transformers' truncate_sequences", arguments: [
        // (excess, first count, second count or nil, tokens removed from first, from second)
        (0, 5, 3, 0, 0),
        (-2, 5, 3, 0, 0),
        (3, 5, nil, 3, 0),
        (5, 5, nil, 0, 0),  // cannot remove all: left whole
        (4, 6, 2, 4, 0),  // the longer one first
        (5, 6, 2, 4, 1),  // then the second takes the odd token
        (3, 4, 4, 1, 2),  // equal: second first
        (3, 2, 6, 0, 3),
        (20, 3, 2, 3, 2),  // never more than a segment has
        (2, 0, 0, 0, 0),
    ] as [(Int, Int, Int?, Int, Int)])
    func plan(excess: Int, firstCount: Int, secondCount: Int?, first: Int, second: Int) {
        let plan = Truncation(excess: excess, firstCount: firstCount, secondCount: secondCount)
        #expect(plan.first == first)
        #expect(plan.second == second)
    }
}
