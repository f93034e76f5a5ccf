// Package playground serves the GraphiQL page at / with every file it
// loads embedded in the binary.
package playground

// The GraphiQL playground is self-hosted: a page that loads GraphiQL and
// React from a CDN fails where the CDN cannot be reached. The files under
// assets/ are the unmodified npm releases, each beside its package's LICENSE:
//
//	graphiql@4.1.2    graphiql.min.js, graphiql.min.css
//	react@18.2.0      umd/react.production.min.js
//	react-dom@18.2.0  umd/react-dom.production.min.js
//
// They are the versions gqlgen's own GraphiQL page pins, and hash to its SRI
// values (playground_test.go checks both; CI compares them byte for byte with
// `npm pack` of each release). To upgrade: `npm pack` the new versions into a
// temporary directory, put the files in new versioned folders, and update
// the constants below.
//
// The page itself (page/) is Parley's, not gqlgen's: it sends the API key
// with the schema fetch too (see page/page.js and README, "The playground").

// AssetsPath is where the embedded files are served. Every file path carries
// its version (a package version, or a hash of Parley's own page files), so
// responses are cached as immutable.
const AssetsPath = "/playground/assets/"

// The npm files the page loads and their Subresource Integrity.
var (
	graphiqlJS  = npmFile{"graphiql-4.1.2/graphiql.min.js", "sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs="}
	graphiqlCSS = npmFile{"graphiql-4.1.2/graphiql.min.css", "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="}
	reactJS     = npmFile{"react-18.2.0/react.production.min.js", "sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY="}
	reactDOMJS  = npmFile{"react-dom-18.2.0/react-dom.production.min.js", "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="}
)

type npmFile struct{ name, sri string }
