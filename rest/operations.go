package rest

// The GraphQL operations behind the REST endpoints. Aliases give every field
// its REST name, so a node of the GraphQL result already has the exact REST
// shape, in the documented field order, with null for absent values.

const conversationItemFields = `
  id
  connection_code: connectionCode
  agent_id: agentID
  status
  started_at: startedAt
  completed_at: completedAt
  turn_count: turnCount
  participant_profile: participant {
    id
    email
    first_name: firstName
    last_name: lastName
    organization_name: organizationName
    organization_domain: organizationDomain
    avatar_image_url: avatarImageURL
  }`

const listConversations = `query RestListConversations($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: ConversationWhereInput) {
  page: conversations(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: {field: CREATED_AT, direction: DESC}) {
    edges { node {` + conversationItemFields + `
    } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

const getConversation = `query RestGetConversation($id: ID!) {
  object: conversation(id: $id) {` + conversationItemFields + `
    session_properties: sessionProperties
    path_taken: pathTaken
  }
}`

const messageFields = `
  id
  role
  content
  created_at: createdAt
  modality`

const getTranscript = `query RestGetTranscript($id: ID!) {
  object: conversation(id: $id) {
    conversation_id: id
    messages: transcript {` + messageFields + `
    }
  }
}`

const listMessages = `query RestListMessages($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
  object: conversation(id: $id) {
    page: messages(first: $first, after: $after, last: $last, before: $before, orderBy: {field: POSITION, direction: ASC}) {
      edges { node {` + messageFields + `
      } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}`

const agentFields = `
  id
  name
  description
  goal
  available_modes: availableModes
  default_mode: defaultMode
  created_at: createdAt
  updated_at: updatedAt`

const listAgents = `query RestListAgents($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
  page: agents(first: $first, after: $after, last: $last, before: $before, orderBy: {field: CREATED_AT, direction: DESC}) {
    edges { node {` + agentFields + `
    } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

const getAgent = `query RestGetAgent($id: ID!) {
  object: agent(id: $id) {` + agentFields + `
  }
}`

// eventMessages reads up to 100 messages of an append, by position.
const eventMessages = `query RestEventMessages($id: ID!, $from: Int!, $to: Int!) {
  object: conversation(id: $id) {
    page: messages(first: 100, where: {positionGT: $from, positionLTE: $to}, orderBy: {field: POSITION, direction: ASC}) {
      edges { node {` + messageFields + `
      } }
    }
  }
}`
