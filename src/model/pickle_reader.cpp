#include "model/pickle_reader.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "util/error.h"

namespace vkcap::model {

namespace {

// Every opcode of pickle protocols 0–5, so that a refused one can be named in the error.
struct OpcodeName {
  uint8_t code;
  const char* name;
};
constexpr OpcodeName kOpcodeNames[] = {
    {0x28, "MARK"},          {0x2e, "STOP"},          {0x30, "POP"},
    {0x31, "POP_MARK"},      {0x32, "DUP"},           {0x46, "FLOAT"},
    {0x49, "INT"},           {0x4a, "BININT"},        {0x4b, "BININT1"},
    {0x4c, "LONG"},          {0x4d, "BININT2"},       {0x4e, "NONE"},
    {0x50, "PERSID"},        {0x51, "BINPERSID"},     {0x52, "REDUCE"},
    {0x53, "STRING"},        {0x54, "BINSTRING"},     {0x55, "SHORT_BINSTRING"},
    {0x56, "UNICODE"},       {0x58, "BINUNICODE"},    {0x61, "APPEND"},
    {0x62, "BUILD"},         {0x63, "GLOBAL"},        {0x64, "DICT"},
    {0x7d, "EMPTY_DICT"},    {0x65, "APPENDS"},       {0x67, "GET"},
    {0x68, "BINGET"},        {0x69, "INST"},          {0x6a, "LONG_BINGET"},
    {0x6c, "LIST"},          {0x5d, "EMPTY_LIST"},    {0x6f, "OBJ"},
    {0x70, "PUT"},           {0x71, "BINPUT"},        {0x72, "LONG_BINPUT"},
    {0x73, "SETITEM"},       {0x74, "TUPLE"},         {0x29, "EMPTY_TUPLE"},
    {0x75, "SETITEMS"},      {0x47, "BINFLOAT"},      {0x80, "PROTO"},
    {0x81, "NEWOBJ"},        {0x82, "EXT1"},          {0x83, "EXT2"},
    {0x84, "EXT4"},          {0x85, "TUPLE1"},        {0x86, "TUPLE2"},
    {0x87, "TUPLE3"},        {0x88, "NEWTRUE"},       {0x89, "NEWFALSE"},
    {0x8a, "LONG1"},         {0x8b, "LONG4"},         {0x42, "BINBYTES"},
    {0x43, "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"},
    {0x8e, "BINBYTES8"},     {0x8f, "EMPTY_SET"},     {0x90, "ADDITEMS"},
    {0x91, "FROZENSET"},     {0x92, "NEWOBJ_EX"},     {0x93, "STACK_GLOBAL"},
    {0x94, "MEMOIZE"},       {0x95, "FRAME"},         {0x96, "BYTEARRAY8"},
    {0x97, "NEXT_BUFFER"},   {0x98, "READONLY_BUFFER"},
};

const char* opcode_name(uint8_t code) {
  for (const auto& o : kOpcodeNames)
    if (o.code == code) return o.name;
  return "unknown";
}

// torch.<Name>Storage -> element type (the storage classes torch.save names in persistent ids).
constexpr std::pair<std::string_view, DType> kStorageTypes[] = {
    {"torch.FloatStorage", DType::F32},  {"torch.HalfStorage", DType::F16},
    {"torch.BFloat16Storage", DType::BF16}, {"torch.DoubleStorage", DType::F64},
    {"torch.LongStorage", DType::I64},   {"torch.IntStorage", DType::I32},
    {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},
    {"torch.ByteStorage", DType::U8},    {"torch.BoolStorage", DType::Bool},
};

constexpr std::string_view kAllowedCallables[] = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2",
    // Only ever passed as the `type` argument of _rebuild_from_type_v2, never called.
    "torch.nn.parameter.Parameter",
    "torch.Tensor",
};

std::optional<DType> storage_dtype(std::string_view global) {
  for (const auto& [name, dtype] : kStorageTypes)
    if (name == global) return dtype;
  return std::nullopt;
}

bool allowed_global(std::string_view global) {
  if (storage_dtype(global)) return true;
  for (auto name : kAllowedCallables)
    if (name == global) return true;
  return false;
}

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;
  double real = 0;
  std::string text;           // String; Global as "module.name"
  std::vector<Value*> items;  // Tuple/List; Dict as key, value, key, value, ...
  int depth = 0;              // nesting depth of containers below (and including) this one
  TorchStorageRef storage;
  TorchTensorRef tensor;
};

const char* kind_name(Value::Kind k) {
  constexpr const char* names[] = {"None",  "bool", "int",    "float",   "str",   "tuple",
                                   "list",  "dict", "global", "storage", "tensor"};
  return names[int(k)];
}

// The pickle virtual machine, restricted. Values live in an arena owned by the machine and refer
// to each other by pointer, so a hostile self-referencing container cannot leak or recurse.
class Machine {
 public:
  Machine(std::span<const uint8_t> pkl, const std::string& file) : in_(pkl), file_(file) {}

  Value* run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(file_ + ": pickle " + what + " (at byte " + std::to_string(op_pos_) + ")");
  }

  std::span<const uint8_t> take(size_t n) {
    if (n > in_.size() - pos_) fail("data truncated");
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  uint64_t read_le(size_t n) {
    auto s = take(n);
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | s[i];
    return v;
  }
  std::string read_line() {
    size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] != '\n') {
      if (pos_ - start > 256) fail("GLOBAL name too long");
      ++pos_;
    }
    if (pos_ >= in_.size()) fail("data truncated");
    std::string line(reinterpret_cast<const char*>(in_.data() + start), pos_ - start);
    ++pos_;
    return line;
  }

  Value* make(Value::Kind kind) {
    if (arena_.size() >= kPickleMaxObjects) fail("creates more than " + std::to_string(kPickleMaxObjects) + " objects");
    arena_.emplace_back();
    arena_.back().kind = kind;
    return &arena_.back();
  }
  Value* make_int(int64_t v) {
    Value* x = make(Value::Kind::Int);
    x->integer = v;
    return x;
  }
  Value* make_float(double v) {
    Value* x = make(Value::Kind::Float);
    x->real = v;
    return x;
  }
  Value* make_bool(bool v) {
    Value* x = make(Value::Kind::Bool);
    x->integer = v;
    return x;
  }
  Value* make_string(std::span<const uint8_t> bytes) {
    Value* x = make(Value::Kind::String);
    x->text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return x;
  }

  void push(Value* v) {
    if (stack_.size() >= kPickleMaxStack) fail("stack exceeds " + std::to_string(kPickleMaxStack) + " entries");
    stack_.push_back(v);
  }
  Value* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // The top n values, in stack order.
  std::vector<Value*> pop_n(size_t n) {
    std::vector<Value*> items(n);
    for (size_t i = n; i-- > 0;) items[i] = pop();
    return items;
  }
  std::vector<Value*> pop_to_mark() {
    if (marks_.empty()) fail("has no MARK to pop to");
    std::vector<Value*> items(stack_.begin() + std::ptrdiff_t(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  void add_child(Value* parent, Value* child) {
    parent->items.push_back(child);
    if (child->depth + 1 > parent->depth) parent->depth = child->depth + 1;
    if (parent->depth > kPickleMaxDepth) fail("nesting deeper than " + std::to_string(kPickleMaxDepth));
  }
  Value* make_tuple(const std::vector<Value*>& items) {
    Value* t = make(Value::Kind::Tuple);
    for (Value* v : items) add_child(t, v);
    return t;
  }

  void memo_put(uint64_t index, Value* v) {
    if (index >= kPickleMaxMemo) fail("memo index " + std::to_string(index) + " exceeds the limit");
    memo_[uint32_t(index)] = v;
  }
  Value* memo_get(uint64_t index) {
    auto it = memo_.find(uint32_t(index));
    if (index >= kPickleMaxMemo || it == memo_.end())
      fail("memo index " + std::to_string(index) + " was never stored");
    return it->second;
  }

  Value* global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    if (!allowed_global(full))
      fail("global '" + full + "' not allowed (only torch tensor rebuilding and collections.OrderedDict)");
    Value* g = make(Value::Kind::Global);
    g->text = full;
    return g;
  }

  // The opcodes with more to them than a push.
  void execute(uint8_t op);
  void protocol();
  void frame();
  void text_global();
  void stack_global();
  void mark();
  int64_t read_long1();
  double read_be_double();
  void set_item();
  void append();
  void add_to(Value::Kind kind, std::span<Value* const> items, const char* opcode);
  void reduce();
  void build();
  [[noreturn]] void refuse(uint8_t op) const;

  Value* persistent_load(Value* pid);
  Value* call(const Value* callable, const Value* args, int nesting = 0);
  Value* rebuild_tensor(const Value* args);
  std::vector<int64_t> int_tuple(const Value* v, const char* what);

  std::span<const uint8_t> in_;
  const std::string& file_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::deque<Value> arena_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, Value*> memo_;
};

Value* Machine::persistent_load(Value* pid) {
  // torch.serialization: ('storage', storage_type, key, location, numel)
  const auto& f = pid->items;
  if (pid->kind != Value::Kind::Tuple || f.size() != 5 || f[0]->kind != Value::Kind::String ||
      f[0]->text != "storage" || f[1]->kind != Value::Kind::Global ||
      f[2]->kind != Value::Kind::String || f[3]->kind != Value::Kind::String ||
      f[4]->kind != Value::Kind::Int)
    fail("persistent id is not ('storage', type, key, location, numel)");
  auto dtype = storage_dtype(f[1]->text);
  if (!dtype) fail("persistent id names '" + f[1]->text + "', not a storage type");
  if (f[4]->integer < 0) fail("storage '" + f[2]->text + "' has negative size");
  Value* s = make(Value::Kind::Storage);
  s->storage = {f[2]->text, *dtype, f[4]->integer};
  return s;
}

std::vector<int64_t> Machine::int_tuple(const Value* v, const char* what) {
  if (v->kind != Value::Kind::Tuple) fail(std::string(what) + " is a " + kind_name(v->kind) + ", not a tuple");
  std::vector<int64_t> out;
  for (const Value* x : v->items) {
    if (x->kind != Value::Kind::Int) fail(std::string(what) + " holds a " + kind_name(x->kind));
    out.push_back(x->integer);
  }
  return out;
}

Value* Machine::rebuild_tensor(const Value* args) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  const auto& a = args->items;
  if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(a.size()));
  if (a[0]->kind != Value::Kind::Storage) fail("_rebuild_tensor_v2 got a " + std::string(kind_name(a[0]->kind)) + " as storage");
  if (a[1]->kind != Value::Kind::Int) fail("_rebuild_tensor_v2 storage offset is not an int");
  Value* t = make(Value::Kind::Tensor);
  t->tensor.storage = a[0]->storage;
  t->tensor.offset = a[1]->integer;
  t->tensor.size = int_tuple(a[2], "tensor size");
  t->tensor.stride = int_tuple(a[3], "tensor stride");
  if (t->tensor.size.size() != t->tensor.stride.size()) fail("tensor size and stride differ in length");
  return t;
}

Value* Machine::call(const Value* callable, const Value* args, int nesting) {
  if (callable->kind != Value::Kind::Global) fail("REDUCE on a " + std::string(kind_name(callable->kind)));
  if (args->kind != Value::Kind::Tuple) fail("REDUCE arguments are not a tuple");
  const std::string& f = callable->text;
  const auto& a = args->items;
  if (f == "collections.OrderedDict") {
    if (!a.empty()) fail("OrderedDict called with arguments");
    return make(Value::Kind::Dict);
  }
  if (f == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args);
  if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
    if (a.size() < 3 || a[0]->kind != Value::Kind::Tensor) fail(f + " needs a tensor argument");
    return a[0];
  }
  if (f == "torch._tensor._rebuild_from_type_v2" && nesting == 0) {
    // (func, type, args, state): a plain Tensor or Parameter rebuilt by func(*args).
    if (a.size() != 4 || a[1]->kind != Value::Kind::Global) fail(f + " has malformed arguments");
    return call(a[0], a[2], nesting + 1);
  }
  fail("global '" + f + "' cannot be called");
}

Value* Machine::run() {
  while (true) {
    op_pos_ = pos_;
    const uint8_t op = uint8_t(read_le(1));
    if (op == 0x2e) return pop();  // STOP
    execute(op);
  }
}

// One opcode other than STOP; anything not listed is refused by name.
void Machine::execute(uint8_t op) {
  switch (op) {
    case 0x80: protocol(); break;                       // PROTO
    case 0x95: frame(); break;                          // FRAME
    case 0x63: text_global(); break;                    // GLOBAL
    case 0x93: stack_global(); break;                   // STACK_GLOBAL
    case 0x51: push(persistent_load(pop())); break;     // BINPERSID
    case 0x7d: push(make(Value::Kind::Dict)); break;    // EMPTY_DICT
    case 0x29: push(make(Value::Kind::Tuple)); break;   // EMPTY_TUPLE
    case 0x5d: push(make(Value::Kind::List)); break;    // EMPTY_LIST
    case 0x28: mark(); break;                           // MARK
    case 0x58: push(make_string(take(size_t(read_le(4))))); break;    // BINUNICODE
    case 0x8c: push(make_string(take(size_t(read_le(1))))); break;    // SHORT_BINUNICODE
    case 0x4a: push(make_int(int32_t(uint32_t(read_le(4))))); break;  // BININT
    case 0x4b: push(make_int(int64_t(read_le(1)))); break;            // BININT1
    case 0x4d: push(make_int(int64_t(read_le(2)))); break;            // BININT2
    case 0x8a: push(make_int(read_long1())); break;     // LONG1
    case 0x47: push(make_float(read_be_double())); break;  // BINFLOAT
    case 0x88: push(make_bool(true)); break;            // NEWTRUE
    case 0x89: push(make_bool(false)); break;           // NEWFALSE
    case 0x4e: push(make(Value::Kind::None)); break;    // NONE
    case 0x85:                                          // TUPLE1
    case 0x86:                                          // TUPLE2
    case 0x87: push(make_tuple(pop_n(size_t(op - 0x84)))); break;  // TUPLE3
    case 0x74: push(make_tuple(pop_to_mark())); break;  // TUPLE
    case 0x73: set_item(); break;                       // SETITEM
    case 0x75: add_to(Value::Kind::Dict, pop_to_mark(), "SETITEMS"); break;
    case 0x61: append(); break;                         // APPEND
    case 0x65: add_to(Value::Kind::List, pop_to_mark(), "APPENDS"); break;
    case 0x71: memo_put(read_le(1), top()); break;      // BINPUT
    case 0x72: memo_put(read_le(4), top()); break;      // LONG_BINPUT
    case 0x94: memo_put(memo_.size(), top()); break;    // MEMOIZE
    case 0x68: push(memo_get(read_le(1))); break;       // BINGET
    case 0x6a: push(memo_get(read_le(4))); break;       // LONG_BINGET
    case 0x52: reduce(); break;                         // REDUCE
    case 0x62: build(); break;                          // BUILD
    default: refuse(op);
  }
}

void Machine::protocol() {
  const uint64_t version = read_le(1);
  if (version > 5) fail("protocol " + std::to_string(version) + " is not supported");
}

void Machine::frame() {
  // A length prefix for buffering; the bytes follow inline.
  const uint64_t n = read_le(8);
  if (n > in_.size() - pos_) fail("frame runs past the end");
}

void Machine::text_global() {
  const std::string module = read_line();  // two lines: the module, then the name
  const std::string name = read_line();
  push(global(module, name));
}

void Machine::stack_global() {
  Value* name = pop();
  Value* module = pop();
  if (name->kind != Value::Kind::String || module->kind != Value::Kind::String) fail("STACK_GLOBAL needs two strings");
  push(global(module->text, name->text));
}

void Machine::mark() {
  if (marks_.size() >= size_t(kPickleMaxDepth)) fail("MARKs nest deeper than " + std::to_string(kPickleMaxDepth));
  marks_.push_back(stack_.size());
}

int64_t Machine::read_long1() {
  // Little-endian two's complement of n bytes.
  const size_t n = size_t(read_le(1));
  if (n > 8) fail("integer of " + std::to_string(n) + " bytes is too large");
  uint64_t v = n ? read_le(n) : 0;
  if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
  return int64_t(v);
}

double Machine::read_be_double() {
  uint64_t bits = 0;
  for (uint8_t c : take(8)) bits = (bits << 8) | c;
  double real;
  std::memcpy(&real, &bits, 8);
  return real;
}

void Machine::set_item() {
  Value* key_value[2];
  key_value[1] = pop();
  key_value[0] = pop();
  add_to(Value::Kind::Dict, key_value, "SETITEM");
}

void Machine::append() {
  Value* value = pop();
  add_to(Value::Kind::List, {&value, 1}, "APPEND");
}

// SETITEM(S) into the dict, APPEND(S) into the list, on top of the stack.
void Machine::add_to(Value::Kind kind, std::span<Value* const> items, const char* opcode) {
  Value* target = top();
  if (target->kind != kind) fail(std::string(opcode) + " on a " + kind_name(target->kind));
  if (kind == Value::Kind::Dict && items.size() % 2) fail(std::string(opcode) + " needs key/value pairs");
  for (Value* x : items) add_child(target, x);
}

void Machine::reduce() {
  Value* args = pop();
  Value* callable = pop();
  push(call(callable, args));
}

void Machine::build() {
  // Only the OrderedDict's __dict__ (its `_metadata`), which is ignored.
  pop();
  const Value* target = top();
  if (target->kind != Value::Kind::Dict && target->kind != Value::Kind::Tensor)
    fail("BUILD on a " + std::string(kind_name(target->kind)));
}

void Machine::refuse(uint8_t op) const {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", op);
  fail(std::string("opcode ") + hex + " (" + opcode_name(op) + ") not allowed");
}

// The tensors among a dict's values, or nothing.
std::vector<TorchStateEntry> tensors_of(const Value* dict) {
  std::vector<TorchStateEntry> out;
  for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
    const Value* k = dict->items[i];
    const Value* v = dict->items[i + 1];
    if (k->kind == Value::Kind::String && v->kind == Value::Kind::Tensor) out.push_back({k->text, v->tensor});
  }
  return out;
}

}  // namespace

std::vector<TorchStateEntry> read_torch_state_dict_pickle(std::span<const uint8_t> pkl,
                                                          const std::string& file) {
  Machine machine(pkl, file);
  const Value* root = machine.run();
  if (root->kind != Value::Kind::Dict)
    throw Error(file + ": pickle holds a " + kind_name(root->kind) + ", not a state dict");
  auto entries = tensors_of(root);
  if (entries.empty()) {
    // Training checkpoints wrap the weights: {"state_dict": {...}, "epoch": 3} or {"model": {...}}.
    for (size_t i = 0; i + 1 < root->items.size(); i += 2) {
      const Value* k = root->items[i];
      const Value* v = root->items[i + 1];
      if (k->kind == Value::Kind::String && (k->text == "state_dict" || k->text == "model") &&
          v->kind == Value::Kind::Dict)
        entries = tensors_of(v);
      if (!entries.empty()) break;
    }
  }
  if (entries.empty()) throw Error(file + ": pickle holds a dict without any tensors");
  return entries;
}

}  // namespace vkcap::model
