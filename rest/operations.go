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

const webhookEndpointFields = `
  id
  url
  description
  event_types: eventTypes
  enabled
  created_at: createdAt
  disabled_reason: disabledReason`

// maxWebhookEndpoints is the size of GET /webhooks' one page; an
// organization has at most webhook.MaxEndpoints in each mode.
const listWebhookEndpoints = `query RestListWebhookEndpoints($first: Int) {
  object: viewer { page: webhookEndpoints(first: $first) {
    edges { node {` + webhookEndpointFields + `
    } }
  } }
}`

const getWebhookEndpoint = `query RestGetWebhookEndpoint($id: ID!) {
  object: webhookEndpoint(id: $id) {` + webhookEndpointFields + `
  }
}`

const createWebhookEndpoint = `mutation RestCreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
  object: createWebhookEndpoint(input: $input) { secret endpoint {` + webhookEndpointFields + `
  } }
}`

const updateWebhookEndpoint = `mutation RestUpdateWebhookEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
  object: updateWebhookEndpoint(id: $id, input: $input) {` + webhookEndpointFields + `
  }
}`

const deleteWebhookEndpoint = `mutation RestDeleteWebhookEndpoint($id: ID!) {
  object: deleteWebhookEndpoint(id: $id) { id: deletedID }
}`

const rotateWebhookSecret = `mutation RestRotateWebhookSecret($id: ID!, $overlap: Int) {
  object: rotateWebhookSecret(id: $id, overlapSeconds: $overlap) { secret endpoint {` + webhookEndpointFields + `
  } }
}`

const sendTestWebhook = `mutation RestSendTestWebhook {
  object: sendTestWebhook { success message_id: messageID }
}`

const redeliverWebhookEvent = `mutation RestRedeliverWebhookEvent($id: ID!, $event: ID!) {
  object: redeliverWebhookEvent(endpointID: $id, eventID: $event) { success message_id: messageID }
}`

const listWebhookDeliveries = `query RestListWebhookDeliveries($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
  object: webhookEndpoint(id: $id) {
    page: deliveries(first: $first, after: $after, last: $last, before: $before, orderBy: {field: ATTEMPTED_AT, direction: DESC}) {
      edges { node {
        id
        event_id: eventID
        event_type: eventType
        attempt
        attempted_at: attemptedAt
        response_status: responseStatus
        latency_ms: latencyMs
        success
        error
        next_attempt_at: nextAttemptAt
      } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
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
