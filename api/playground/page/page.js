// Parley's GraphiQL page. The schema, like the data, needs an API key, so
// every request, the schema's included, carries the headers the user typed
// into the headers editor, kept in localStorage so a reload keeps them. Until
// a key is there the page says how to add one instead of fetching anything;
// a new key fetches the schema again, and a refused one is explained.
(function () {
  'use strict';

  var storageKey = 'parley:headers';
  var root = document.getElementById('graphiql');
  var url = new URL(root.dataset.endpoint, location.href).href;

  // headers parses the headers editor's text; anything but a JSON object is
  // no headers.
  function headers(text) {
    try {
      var h = JSON.parse(text || '{}');
      return h && typeof h === 'object' && !Array.isArray(h) ? h : {};
    } catch (e) {
      return {};
    }
  }

  // apiKey returns the key of a "Bearer sk_..." Authorization header, or ''.
  // A placeholder such as sk_test_... is not a key.
  function apiKey(h) {
    for (var name in h) {
      if (name.toLowerCase() === 'authorization' && typeof h[name] === 'string') {
        var m = /^\s*Bearer\s+(sk_(?:live|test)_[A-Za-z0-9]{24,})\s*$/i.exec(h[name]);
        return m ? m[1] : '';
      }
    }
    return '';
  }

  var exampleQuery = [
    '# Parley\'s GraphQL API. Add your key in Headers',
    '# (below), then run this query with the play button',
    '# or Ctrl-Enter. The Docs (top left) list every type.',
    '',
    'query RecentConversations {',
    '  conversations(first: 5, where: {status: completed}) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        id',
    '        status',
    '        startedAt',
    '        agent { name }',
    '        participant { firstName lastName email }',
    '        transcript { role content }',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  var text = localStorage.getItem(storageKey) || '';

  // The schema GraphiQL shows: fetched here, with the key, rather than by
  // GraphiQL, which sends no headers with its first schema fetch and never
  // fetches again when they change. null until a key's schema has arrived.
  var graphql = GraphiQL.GraphQL;
  var introspectionQuery = graphql.getIntrospectionQuery({
    descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
    schemaDescription: true, inputValueDeprecation: true, oneOf: true,
  });
  var schema = null;
  var schemaKey = null; // the key whose schema is shown or being fetched

  function loadSchema() {
    var key = apiKey(headers(text));
    if (key === schemaKey) return;
    schemaKey = key;
    schema = null;
    show(key ? '' : 'key-hint');
    render();
    if (!key) return;
    fetch(url, {
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json' }, headers(text)),
      body: JSON.stringify({ query: introspectionQuery, operationName: 'IntrospectionQuery' }),
    }).then(function (res) {
      return res.json();
    }).then(function (body) {
      if (key !== schemaKey) return; // the key changed meanwhile
      if (!body.data || body.errors) throw new Error((body.errors && body.errors[0] && body.errors[0].message) || 'no schema in the answer');
      schema = graphql.buildClientSchema(body.data);
      render();
    }).catch(function (err) {
      if (key !== schemaKey) return;
      schemaKey = null; // the next edit tries again
      document.getElementById('key-refused-reason').textContent = err.message;
      show('key-refused');
    });
  }

  // show makes one of the hints above GraphiQL visible, or none.
  function show(id) {
    ['key-hint', 'key-refused'].forEach(function (h) {
      document.getElementById(h).hidden = h !== id;
    });
  }

  var base = GraphiQL.createFetcher({ url: url });
  // Queries carry the stored headers, and the editor's over them.
  function fetcher(params, opts) {
    opts = opts || {};
    var merged = Object.assign({}, headers(text), opts.headers || {});
    return base(params, Object.assign({}, opts, { headers: merged }));
  }

  function onEditHeaders(value) {
    text = value;
    localStorage.setItem(storageKey, value);
    loadSchema();
  }

  var reactRoot = ReactDOM.createRoot(root);
  var toolsOpen = apiKey(headers(text)) ? false : 'headers'; // first visit: show where the key goes
  function render() {
    reactRoot.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      schema: schema, // null: GraphiQL fetches nothing itself
      onEditHeaders: onEditHeaders,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultHeaders: text,
      defaultQuery: exampleQuery,
      defaultEditorToolsVisibility: toolsOpen,
      inputValueDeprecation: true,
      plugins: [],
    }));
  }
  loadSchema();
  render();
})();
