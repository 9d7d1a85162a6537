//go:build !unix

package bulk

// oNoFollow is not needed where there is no O_NOFOLLOW: O_EXCL already
// refuses any name that exists, a link included.
const oNoFollow = 0
