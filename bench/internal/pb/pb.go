// Package pb holds the protobuf messages of the gRPC, ttrpc and raw
// systems, written by hand in the shape protoc-gen-go gives them (there is
// no protoc here), so they marshal on the same fast paths as generated
// code. Their schema, as a .proto file would say it:
//
//	syntax = "proto3";
//	package hostcall.bench;
//	message AddRequest { int64 a = 1; int64 b = 2; }
//	message Person { string name = 1; string email = 2; int32 age = 3; }
//	message Item { string sku = 1; int32 qty = 2; double price = 3; string note = 4; }
//	message Record {
//	  int64 id = 1; string name = 2; bool active = 3; repeated string tags = 4;
//	  Person owner = 5; repeated Item items = 6; repeated double scores = 7;
//	}
//
// The other messages come from the well-known wrapper types.
package pb

import (
	"reflect"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoimpl"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// AddRequest is the argument of add.
type AddRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	A             int64                  `protobuf:"varint,1,opt,name=a,proto3" json:"a,omitempty"`
	B             int64                  `protobuf:"varint,2,opt,name=b,proto3" json:"b,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

// Person is nested in Record.
type Person struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Name          string                 `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	Email         string                 `protobuf:"bytes,2,opt,name=email,proto3" json:"email,omitempty"`
	Age           int32                  `protobuf:"varint,3,opt,name=age,proto3" json:"age,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

// Item is an element of Record.Items.
type Item struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Sku           string                 `protobuf:"bytes,1,opt,name=sku,proto3" json:"sku,omitempty"`
	Qty           int32                  `protobuf:"varint,2,opt,name=qty,proto3" json:"qty,omitempty"`
	Price         float64                `protobuf:"fixed64,3,opt,name=price,proto3" json:"price,omitempty"`
	Note          string                 `protobuf:"bytes,4,opt,name=note,proto3" json:"note,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

// Record is the struct4k payload.
type Record struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            int64                  `protobuf:"varint,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Active        bool                   `protobuf:"varint,3,opt,name=active,proto3" json:"active,omitempty"`
	Tags          []string               `protobuf:"bytes,4,rep,name=tags,proto3" json:"tags,omitempty"`
	Owner         *Person                `protobuf:"bytes,5,opt,name=owner,proto3" json:"owner,omitempty"`
	Items         []*Item                `protobuf:"bytes,6,rep,name=items,proto3" json:"items,omitempty"`
	Scores        []float64              `protobuf:"fixed64,7,rep,packed,name=scores,proto3" json:"scores,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AddRequest) Reset()         { *x = AddRequest{}; x.ProtoReflect() }
func (x *AddRequest) String() string { return protoimpl.X.MessageStringOf(x) }
func (*AddRequest) ProtoMessage()    {}

// ProtoReflect implements proto.Message.
func (x *AddRequest) ProtoReflect() protoreflect.Message { return reflectOf(x, 0) }

func (x *Person) Reset()         { *x = Person{}; x.ProtoReflect() }
func (x *Person) String() string { return protoimpl.X.MessageStringOf(x) }
func (*Person) ProtoMessage()    {}

// ProtoReflect implements proto.Message.
func (x *Person) ProtoReflect() protoreflect.Message { return reflectOf(x, 1) }

func (x *Item) Reset()         { *x = Item{}; x.ProtoReflect() }
func (x *Item) String() string { return protoimpl.X.MessageStringOf(x) }
func (*Item) ProtoMessage()    {}

// ProtoReflect implements proto.Message.
func (x *Item) ProtoReflect() protoreflect.Message { return reflectOf(x, 2) }

func (x *Record) Reset()         { *x = Record{}; x.ProtoReflect() }
func (x *Record) String() string { return protoimpl.X.MessageStringOf(x) }
func (*Record) ProtoMessage()    {}

// ProtoReflect implements proto.Message.
func (x *Record) ProtoReflect() protoreflect.Message { return reflectOf(x, 3) }

// reflectOf is the body protoc-gen-go writes in each ProtoReflect.
func reflectOf[T any](x *T, i int) protoreflect.Message {
	mi := &msgTypes[i]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// File is the descriptor of the messages above.
var File protoreflect.FileDescriptor

var msgTypes = make([]protoimpl.MessageInfo, 4)

func init() {
	rawDesc, err := proto.MarshalOptions{Deterministic: true}.Marshal(fileDescriptor())
	if err != nil {
		panic(err)
	}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: rawDesc,
			NumMessages:   4,
		},
		GoTypes: []any{(*AddRequest)(nil), (*Person)(nil), (*Item)(nil), (*Record)(nil)},
		DependencyIndexes: []int32{
			1, // 0: Record.owner -> Person
			2, // 1: Record.items -> Item
			2, // [2:2] method output_type
			2, // [2:2] method input_type
			2, // [2:2] extension type_name
			2, // [2:2] extension extendee
			0, // [0:2] field type_name
		},
		MessageInfos: msgTypes,
	}.Build()
	File = out.File
}

func fileDescriptor() *descriptorpb.FileDescriptorProto {
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, repeated bool, typeName string) *descriptorpb.FieldDescriptorProto {
		label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		if repeated {
			label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		}
		f := &descriptorpb.FieldDescriptorProto{
			Name: proto.String(name), Number: proto.Int32(num), Label: label.Enum(),
			Type: typ.Enum(), JsonName: proto.String(name),
		}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	const (
		i64 = descriptorpb.FieldDescriptorProto_TYPE_INT64
		i32 = descriptorpb.FieldDescriptorProto_TYPE_INT32
		str = descriptorpb.FieldDescriptorProto_TYPE_STRING
		bo  = descriptorpb.FieldDescriptorProto_TYPE_BOOL
		f64 = descriptorpb.FieldDescriptorProto_TYPE_DOUBLE
		msg = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	)
	return &descriptorpb.FileDescriptorProto{
		Name:    proto.String("hostcall/bench/bench.proto"),
		Package: proto.String("hostcall.bench"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("AddRequest"), Field: []*descriptorpb.FieldDescriptorProto{
				field("a", 1, i64, false, ""),
				field("b", 2, i64, false, ""),
			}},
			{Name: proto.String("Person"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, false, ""),
				field("email", 2, str, false, ""),
				field("age", 3, i32, false, ""),
			}},
			{Name: proto.String("Item"), Field: []*descriptorpb.FieldDescriptorProto{
				field("sku", 1, str, false, ""),
				field("qty", 2, i32, false, ""),
				field("price", 3, f64, false, ""),
				field("note", 4, str, false, ""),
			}},
			{Name: proto.String("Record"), Field: []*descriptorpb.FieldDescriptorProto{
				field("id", 1, i64, false, ""),
				field("name", 2, str, false, ""),
				field("active", 3, bo, false, ""),
				field("tags", 4, str, true, ""),
				field("owner", 5, msg, false, ".hostcall.bench.Person"),
				field("items", 6, msg, true, ".hostcall.bench.Item"),
				field("scores", 7, f64, true, ""),
			}},
		},
	}
}

// FromRecord converts the harness's record.
func FromRecord(r harness.Record) *Record {
	x := &Record{
		Id: r.ID, Name: r.Name, Active: r.Active, Tags: slices.Clone(r.Tags),
		Owner:  &Person{Name: r.Owner.Name, Email: r.Owner.Email, Age: r.Owner.Age},
		Scores: slices.Clone(r.Scores),
	}
	for _, it := range r.Items {
		x.Items = append(x.Items, &Item{Sku: it.SKU, Qty: it.Qty, Price: it.Price, Note: it.Note})
	}
	return x
}

// Equal reports whether a and b hold the same values (a hand-written
// proto.Equal, cheap enough to check every reply).
func Equal(a, b *Record) bool {
	if a.Id != b.Id || a.Name != b.Name || a.Active != b.Active ||
		!slices.Equal(a.Tags, b.Tags) || !slices.Equal(a.Scores, b.Scores) ||
		(a.Owner == nil) != (b.Owner == nil) || len(a.Items) != len(b.Items) {
		return false
	}
	if a.Owner != nil && (a.Owner.Name != b.Owner.Name || a.Owner.Email != b.Owner.Email || a.Owner.Age != b.Owner.Age) {
		return false
	}
	for i, x := range a.Items {
		y := b.Items[i]
		if x.Sku != y.Sku || x.Qty != y.Qty || x.Price != y.Price || x.Note != y.Note {
			return false
		}
	}
	return true
}
